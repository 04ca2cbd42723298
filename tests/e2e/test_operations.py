"""What operators rely on: health checks, reflection, TLS, and the programs' TLS flags."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import grpc
from google.protobuf import descriptor_pb2

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
health_pb2, health_grpc = harness.load_generated(os.path.join(HERE, "..", "..", "proto", "health.proto"))
reflection_pb2, reflection_grpc = harness.load_generated(os.path.join(HERE, "reflection.proto"))
chat_pb2, chat_grpc = harness.load_generated(os.path.join(HERE, "..", "..", "proto", "chat.proto"))

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class HealthTest(unittest.TestCase):
    def test_check_answers_serving_for_the_server_and_chat_Chat_and_not_found_otherwise(self):
        with harness.ServerProcess() as server:
            with grpc.insecure_channel(server.address) as channel:
                health = health_grpc.HealthStub(channel)
                for service in ("", "chat.Chat"):
                    answer = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=harness.PATIENCE)
                    self.assertEqual(answer.status, SERVING, service)
                with self.assertRaises(grpc.RpcError) as unknown:
                    health.Check(health_pb2.HealthCheckRequest(service="no.Such"), timeout=harness.PATIENCE)
                self.assertEqual(unknown.exception.code(), grpc.StatusCode.NOT_FOUND)
            server.stop()

    def test_watch_turns_not_serving_as_soon_as_shutdown_starts(self):
        with harness.ServerProcess() as server:
            channel = grpc.insecure_channel(server.address)
            statuses = health_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service="chat.Chat"))
            self.assertEqual(next(statuses).status, SERVING)
            server.process.terminate()
            self.assertEqual(next(statuses).status, NOT_SERVING)
            with self.assertRaises(grpc.RpcError) as ended:
                next(statuses)
            self.assertEqual(ended.exception.code(), grpc.StatusCode.UNAVAILABLE)
            self.assertEqual(server.process.wait(timeout=harness.PATIENCE), 0)
            channel.close()

    def test_watch_on_another_name_says_service_unknown_and_stays_so_until_the_server_stops(self):
        with harness.ServerProcess() as server:
            channel = grpc.insecure_channel(server.address)
            statuses = health_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service="no.Such"))
            self.assertEqual(next(statuses).status, health_pb2.HealthCheckResponse.SERVICE_UNKNOWN)
            server.process.terminate()
            # No NOT_SERVING for a service that is not served here: the stream just ends.
            with self.assertRaises(grpc.RpcError) as ended:
                next(statuses)
            self.assertEqual(ended.exception.code(), grpc.StatusCode.UNAVAILABLE)
            self.assertEqual(server.process.wait(timeout=harness.PATIENCE), 0)
            channel.close()


class ReflectionTest(unittest.TestCase):
    def ask(self, channel, **request):
        replies = reflection_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(**request)]), timeout=harness.PATIENCE)
        return next(replies)

    def test_lists_chat_Chat_and_describes_its_methods(self):
        with harness.ServerProcess() as server:
            with grpc.insecure_channel(server.address) as channel:
                listed = self.ask(channel, list_services="")
                names = [service.name for service in listed.list_services_response.service]
                self.assertIn("chat.Chat", names)
                self.assertIn("grpc.health.v1.Health", names)

                described = self.ask(channel, file_containing_symbol="chat.Chat")
                files = [descriptor_pb2.FileDescriptorProto.FromString(data)
                         for data in described.file_descriptor_response.file_descriptor_proto]
                chat_file = next(f for f in files if f.package == "chat")
                service = next(s for s in chat_file.service if s.name == "Chat")
                self.assertEqual(sorted(m.name for m in service.method),
                                 ["AddUser", "History", "Leave", "ListUsers", "Listen", "SendMessage", "Subscribe"])
                for streaming in ("Listen", "Subscribe"):
                    method = next(m for m in service.method if m.name == streaming)
                    self.assertTrue(method.server_streaming)
                    self.assertEqual(method.input_type, ".chat.ListenRequest")
                subscribe = next(m for m in service.method if m.name == "Subscribe")
                self.assertEqual(subscribe.output_type, ".chat.MessageBatch")
            server.stop()


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.directory = tempfile.mkdtemp(prefix="chat-tls-")
        cls.addClassCleanup(shutil.rmtree, cls.directory, ignore_errors=True)
        cls.certificates = harness.make_certificates(cls.directory)

    def serve(self, *flags, **options):
        return harness.ServerProcess("--tls-cert", self.certificates["server.pem"],
                                     "--tls-key", self.certificates["server.key"], *flags, **options)

    def test_tls_clients_are_served_and_plaintext_ones_are_not(self):
        with self.serve() as server:
            with open(self.certificates["ca.pem"], "rb") as ca:
                credentials = grpc.ssl_channel_credentials(root_certificates=ca.read())
            with grpc.secure_channel(server.address, credentials) as channel:
                answer = chat_grpc.ChatStub(channel).AddUser(chat_pb2.User(username="alice"), timeout=harness.PATIENCE)
                self.assertEqual(answer.code, chat_pb2.MessageResponse.ADDED)
            with grpc.insecure_channel(server.address) as channel:
                with self.assertRaises(grpc.RpcError) as refused:
                    chat_grpc.ChatStub(channel).AddUser(chat_pb2.User(username="eve"), timeout=5)
                self.assertEqual(refused.exception.code(), grpc.StatusCode.UNAVAILABLE)
            server.stop()

    def test_after_a_descriptor_flood_ends_a_tls_client_is_served_within_5_seconds(self):
        # TLS connections go through the server's own accept loop too (test_connection_limits.py has
        # the plaintext case): 1,024 connections against 512 descriptors, none of them saying hello.
        with self.serve("--max-connections-per-address", "100000", file_limit=512) as server:
            host, port = server.address.rsplit(":", 1)
            flood = []
            for _ in range(1024):
                try:
                    flood.append(socket.create_connection((host, int(port)), timeout=harness.PATIENCE))
                except OSError:  # refused, or the backlog full: the flood goes on all the same
                    pass
            for connection in flood:
                connection.close()
            with open(self.certificates["ca.pem"], "rb") as ca:
                credentials = grpc.ssl_channel_credentials(root_certificates=ca.read())
            started = time.monotonic()
            with grpc.secure_channel(server.address, credentials) as channel:
                # Waiting for ready, as clients that reconnect do: the server may refuse the first
                # attempt if it has not yet seen the flood's connections closed (it looks every 0.5 s).
                answer = chat_grpc.ChatStub(channel).AddUser(chat_pb2.User(username="after_the_flood"), timeout=5,
                                                             wait_for_ready=True)
            served_after = time.monotonic() - started
            print(f"\n  a TLS client after a flood of {len(flood)} connections: served after {served_after:.3f} s",
                  file=sys.stderr)
            self.assertEqual(answer.code, chat_pb2.MessageResponse.ADDED)
            code, _ = server.stop()
            self.assertEqual(code, 0)

    def test_chat_bench_measures_over_tls(self):
        with self.serve(*harness.LOAD_TEST) as server:
            result = harness.bench("--server", server.address, "--tls-ca", self.certificates["ca.pem"],
                                   "--subscribers", "5", "--duration", "1", timeout=120)
            self.assertGreater(result["deliveries"], 0)
            self.assertEqual(result["lost"], 0)
            server.stop()

    def test_half_of_tls_is_refused_in_one_line(self):
        refused = subprocess.run([os.environ["CHAT_SERVER_BIN"], "--tls-cert", self.certificates["server.pem"]],
                                 capture_output=True, text=True, timeout=harness.PATIENCE)
        self.assertEqual(refused.returncode, 1)
        self.assertEqual(refused.stderr, "chat-server: --tls-cert and --tls-key go together\n")


if __name__ == "__main__":
    unittest.main()
