# Per-module dependencies of nasctl_torch beyond LibTorch.

# data: JPEG through libjpeg-turbo's TurboJPEG API, PNG through libpng, gzip'd IDX through zlib.
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(NASCTL_TURBOJPEG QUIET IMPORTED_TARGET libturbojpeg)
endif()
if(TARGET PkgConfig::NASCTL_TURBOJPEG)
  target_link_libraries(nasctl_torch PUBLIC PkgConfig::NASCTL_TURBOJPEG)
else()
  find_path(NASCTL_TURBOJPEG_INCLUDE turbojpeg.h REQUIRED)
  find_library(NASCTL_TURBOJPEG_LIBRARY turbojpeg REQUIRED)
  target_include_directories(nasctl_torch PUBLIC ${NASCTL_TURBOJPEG_INCLUDE})
  target_link_libraries(nasctl_torch PUBLIC ${NASCTL_TURBOJPEG_LIBRARY})
endif()
find_package(PNG REQUIRED)
find_package(ZLIB REQUIRED)
target_link_libraries(nasctl_torch PUBLIC PNG::PNG ZLIB::ZLIB)

# export: the TFLite writer is generated at build time by flatc from the project's own schema
# (src/export/schema/tflite_subset.fbs) into the build tree; the FlatBuffers runtime is header-only.
find_package(FlatBuffers CONFIG QUIET)
if(TARGET flatbuffers::flatc)
  set(NASCTL_FLATC $<TARGET_FILE:flatbuffers::flatc>)
else()
  find_program(NASCTL_FLATC flatc REQUIRED)
endif()
find_path(NASCTL_FLATBUFFERS_INCLUDE flatbuffers/flatbuffers.h REQUIRED)
set(NASCTL_TFLITE_SCHEMA ${PROJECT_SOURCE_DIR}/src/export/schema/tflite_subset.fbs)
set(NASCTL_TFLITE_GENERATED_DIR ${PROJECT_BINARY_DIR}/generated/export)
set(NASCTL_TFLITE_GENERATED ${NASCTL_TFLITE_GENERATED_DIR}/tflite_subset_generated.h)
add_custom_command(OUTPUT ${NASCTL_TFLITE_GENERATED}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${NASCTL_TFLITE_GENERATED_DIR}
  COMMAND ${NASCTL_FLATC} --cpp --scoped-enums -o ${NASCTL_TFLITE_GENERATED_DIR} ${NASCTL_TFLITE_SCHEMA}
  DEPENDS ${NASCTL_TFLITE_SCHEMA}
  COMMENT "flatc: generating the TFLite schema subset")
add_custom_target(nasctl_tflite_schema DEPENDS ${NASCTL_TFLITE_GENERATED})
add_dependencies(nasctl_torch nasctl_tflite_schema)
target_include_directories(nasctl_torch PUBLIC ${NASCTL_TFLITE_GENERATED_DIR} ${NASCTL_FLATBUFFERS_INCLUDE})
