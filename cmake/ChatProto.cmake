# chat_generate_grpc(<out_var> PROTO <file.proto> [GRPC])
#
# Runs protoc on <file.proto> into ${CMAKE_CURRENT_BINARY_DIR}/generated and sets <out_var> to the
# generated C++ sources. With GRPC, the gRPC service code is generated too. Generated code stays in
# the build tree.
function(chat_generate_grpc out_var)
  cmake_parse_arguments(ARG "GRPC" "PROTO" "" ${ARGN})
  get_filename_component(proto "${ARG_PROTO}" ABSOLUTE)
  get_filename_component(proto_dir "${proto}" DIRECTORY)
  get_filename_component(name "${proto}" NAME_WE)
  set(out_dir "${CMAKE_CURRENT_BINARY_DIR}/generated")
  file(MAKE_DIRECTORY "${out_dir}")

  set(outputs "${out_dir}/${name}.pb.cc" "${out_dir}/${name}.pb.h")
  set(arguments --cpp_out=${out_dir})
  set(depends protobuf::protoc "${proto}")
  if(ARG_GRPC)
    list(APPEND outputs "${out_dir}/${name}.grpc.pb.cc" "${out_dir}/${name}.grpc.pb.h")
    list(APPEND arguments --grpc_out=${out_dir} --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>)
    list(APPEND depends gRPC::grpc_cpp_plugin)
  endif()

  add_custom_command(
    OUTPUT ${outputs}
    COMMAND protobuf::protoc ${arguments} -I "${proto_dir}" "${proto}"
    DEPENDS ${depends}
    COMMENT "Generating C++ from ${name}.proto"
    VERBATIM)
  set(${out_var} ${outputs} PARENT_SCOPE)
endfunction()
