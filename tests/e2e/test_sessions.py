"""Sessions, replays and history against a chat-server process, with a client generated from
proto/chat.proto by another gRPC implementation (grpcio): a connection cut on the way, a server
restart, and a name that changes owners.
"""

import os
import queue
import threading
import unittest

import grpc

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
pb2, pb2_grpc = harness.load_generated(os.path.join(HERE, "..", "..", "proto", "chat.proto"))


class SessionClient:
    """A client that keeps its session token and presents it on every call, as the contract says."""

    def __init__(self, address):
        self.channel = grpc.insecure_channel(address, options=[("grpc.use_local_subchannel_pool", 1)])
        self.stub = pb2_grpc.ChatStub(self.channel)
        self.token = None
        self.received = queue.Queue()
        self.stream = None

    def metadata(self):
        return (("chat-session", self.token),) if self.token else ()

    def add_user(self, name):
        response = self.stub.AddUser(pb2.User(username=name), metadata=self.metadata(), timeout=harness.PATIENCE)
        if response.code == pb2.MessageResponse.ADDED:
            self.token = response.session
        return response

    def send(self, text):
        return self.stub.SendMessage(pb2.Message(msg=text), metadata=self.metadata(), timeout=harness.PATIENCE).id

    def leave(self):
        return self.stub.Leave(pb2.LeaveRequest(), metadata=self.metadata(), timeout=harness.PATIENCE)

    def history(self, before_id, limit):
        request = pb2.HistoryRequest(before_id=before_id, limit=limit)
        return self.stub.History(request, metadata=self.metadata(), timeout=harness.PATIENCE)

    def listen(self, after_id=0, history=0):
        """Opens the stream; returns the server's count of replayed messages."""
        self.received = queue.Queue()
        self.stream = self.stub.Listen(pb2.ListenRequest(after_id=after_id, history=history), metadata=self.metadata())
        count = dict(self.stream.initial_metadata()).get("chat-replay-count")
        threading.Thread(target=self._read, args=(self.stream, self.received), daemon=True).start()
        return int(count)

    @staticmethod
    def _read(stream, into):
        try:
            for message in stream:
                into.put(message)
        except grpc.RpcError as error:
            into.put(error)

    def read(self, count):
        """The next `count` messages."""
        messages = []
        for _ in range(count):
            message = self.received.get(timeout=harness.PATIENCE)
            if isinstance(message, grpc.RpcError):
                raise AssertionError(f"the stream ended: {message.code()} {message.details()}")
            messages.append(message)
        return messages

    def read_until(self, message_id):
        messages = []
        while not messages or messages[-1].id != message_id:
            messages += self.read(1)
        return messages

    def ended(self):
        """The error the stream ended with; waits for it."""
        while True:
            message = self.received.get(timeout=harness.PATIENCE)
            if isinstance(message, grpc.RpcError):
                return message

    def close(self):
        if self.stream is not None:
            self.stream.cancel()
        self.channel.close()


class SessionsTest(unittest.TestCase):
    def test_a_cut_connection_resumes_with_every_missed_message_once_and_in_order(self):
        with harness.ServerProcess() as server, harness.TcpProxy(server.address) as proxy:
            alice = SessionClient(proxy.address)
            bob = SessionClient(server.address)
            self.addCleanup(alice.close)
            self.addCleanup(bob.close)
            self.assertEqual(alice.add_user("alice").code, pb2.MessageResponse.ADDED)
            self.assertEqual(bob.add_user("bob").code, pb2.MessageResponse.ADDED)
            alice.listen()
            seen = bob.send("before the cut")
            alice.read_until(seen)

            self.assertEqual(proxy.cut(), 1)
            self.assertEqual(alice.ended().code(), grpc.StatusCode.UNAVAILABLE)
            missed = [bob.send(f"while cut {i}") for i in range(5)]
            missed.append(bob.send("@alice are you there?"))
            users = bob.stub.ListUsers(pb2.ListUsersRequest(), timeout=harness.PATIENCE).users
            self.assertIn("alice", [user.username for user in users])  # held for her session

            # The same channel reconnects through the proxy; the token makes it alice again.
            self.assertEqual(alice.listen(after_id=seen), len(missed))
            live = bob.send("live again")
            got = alice.read_until(live)
            self.assertEqual([message.id for message in got], missed + [live])
            self.assertEqual(got[-2].kind, pb2.Message.DIRECT)
            self.assertEqual(proxy.connections, 2)
            alice.send("back")  # as alice, from the new connection

    def test_resuming_across_a_restart_gives_a_gap_and_never_an_old_id(self):
        with harness.ServerProcess() as server:
            address = server.address
            alice = SessionClient(address)
            self.addCleanup(alice.close)
            alice.add_user("alice")
            last = max(alice.send(f"before the restart {i}") for i in range(3))

        with harness.ServerProcess(address=address):
            self.assertTrue(harness.wait_until(lambda: self._registers(alice, "alice")))
            self.assertEqual(alice.listen(after_id=last), 2)  # the GAP and alice's join
            gap, join = alice.read(2)
            self.assertEqual(gap.kind, pb2.Message.GAP)
            self.assertIn(f"the server restarted since #{last}", gap.msg)
            self.assertGreaterEqual(gap.id, last)
            self.assertEqual(join.msg, "alice joined")
            self.assertGreater(join.id, last)
            self.assertGreater(alice.send("after the restart"), join.id)

    @staticmethod
    def _registers(client, name):
        """AddUser until it works: the old token is refused, and the channel may still reconnect."""
        try:
            return client.add_user(name).code == pb2.MessageResponse.ADDED
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.UNAUTHENTICATED:
                client.token = None  # the restarted server forgot the session: register again
            return False

    def test_a_later_owner_of_a_name_never_sees_the_earlier_owners_direct_messages(self):
        with harness.ServerProcess() as server:
            first_alice = SessionClient(server.address)
            bob = SessionClient(server.address)
            self.addCleanup(first_alice.close)
            self.addCleanup(bob.close)
            first_alice.add_user("alice")
            bob.add_user("bob")
            bob.send("@alice a secret for alice")
            first_alice.send("@bob a secret from alice")
            self.assertEqual(first_alice.leave().msg, "goodbye, alice")

            second_alice = SessionClient(server.address)
            self.addCleanup(second_alice.close)
            self.assertEqual(second_alice.add_user("alice").code, pb2.MessageResponse.ADDED)
            replayed = second_alice.listen(history=500)
            texts = [message.msg for message in second_alice.read(replayed)]
            self.assertTrue(texts)
            self.assertFalse([text for text in texts if "secret" in text])
            page = second_alice.history(0, 500)
            self.assertFalse([message for message in page.messages if message.kind == pb2.Message.DIRECT])
            bobs = bob.history(0, 500)
            self.assertEqual(len([m for m in bobs.messages if m.kind == pb2.Message.DIRECT]), 2)


if __name__ == "__main__":
    unittest.main()
