# nasctl's own CPU kernels: floating-point comparisons may be evaluated speculatively (no FP traps
# are ever enabled), which lets GCC vectorise the ReLU/ReLU6 masks instead of branching on them.
set_source_files_properties(${PROJECT_SOURCE_DIR}/src/nn/batch_norm_act.cpp ${PROJECT_SOURCE_DIR}/src/nn/depthwise.cpp
                            PROPERTIES COMPILE_OPTIONS "-fno-trapping-math")

# Per-module dependencies of the LibTorch modules beyond LibTorch.

# data: JPEG through libjpeg-turbo's TurboJPEG API, PNG through libpng, gzip'd IDX through zlib.
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(NASCTL_TURBOJPEG QUIET IMPORTED_TARGET libturbojpeg)
endif()
if(TARGET PkgConfig::NASCTL_TURBOJPEG)
  target_link_libraries(nasctl_data PRIVATE PkgConfig::NASCTL_TURBOJPEG)
else()
  find_path(NASCTL_TURBOJPEG_INCLUDE turbojpeg.h REQUIRED)
  find_library(NASCTL_TURBOJPEG_LIBRARY turbojpeg REQUIRED)
  target_include_directories(nasctl_data PRIVATE ${NASCTL_TURBOJPEG_INCLUDE})
  target_link_libraries(nasctl_data PRIVATE ${NASCTL_TURBOJPEG_LIBRARY})
endif()
find_package(PNG REQUIRED)
find_package(ZLIB REQUIRED)
target_link_libraries(nasctl_data PRIVATE PNG::PNG ZLIB::ZLIB)

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
add_dependencies(nasctl_export nasctl_tflite_schema)
target_include_directories(nasctl_export PUBLIC ${NASCTL_TFLITE_GENERATED_DIR} ${NASCTL_FLATBUFFERS_INCLUDE})

# train: data parallelism on c10d. Gloo (CPU) is compiled into LibTorch; its header needs the gloo
# headers (libgloo-dev) and USE_C10D_GLOO. NCCL only with a CUDA LibTorch that ships the header.
# Set on src/train/distributed.cpp alone, so that no other file recompiles.
find_path(NASCTL_GLOO_INCLUDE gloo/algorithm.h)
find_file(NASCTL_C10D_GLOO_HEADER torch/csrc/distributed/c10d/ProcessGroupGloo.hpp PATHS ${TORCH_INCLUDE_DIRS} NO_DEFAULT_PATH)
find_file(NASCTL_C10D_GLOO_HEADER torch/csrc/distributed/c10d/ProcessGroupGloo.hpp)
option(NASCTL_WITH_GLOO "Multi-process training on CPUs through c10d's Gloo backend" ON)
set(NASCTL_DIST_DEFINITIONS "")
if(NASCTL_WITH_GLOO AND NASCTL_GLOO_INCLUDE AND NASCTL_C10D_GLOO_HEADER)
  list(APPEND NASCTL_DIST_DEFINITIONS USE_C10D_GLOO)
  target_include_directories(nasctl_train PRIVATE ${NASCTL_GLOO_INCLUDE})
elseif(NASCTL_WITH_GLOO)
  message(WARNING "gloo headers (libgloo-dev) or c10d's ProcessGroupGloo.hpp not found: multi-process CPU training disabled")
endif()
find_file(NASCTL_C10D_NCCL_HEADER torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp PATHS ${TORCH_INCLUDE_DIRS} NO_DEFAULT_PATH)
if(NASCTL_C10D_NCCL_HEADER AND (TARGET c10_cuda OR TORCH_CUDA_LIBRARIES))
  list(APPEND NASCTL_DIST_DEFINITIONS USE_C10D_NCCL)
endif()
set_source_files_properties(${PROJECT_SOURCE_DIR}/src/train/distributed.cpp PROPERTIES COMPILE_DEFINITIONS "${NASCTL_DIST_DEFINITIONS}")

# export tests: Arm NN (Debian's 20.08: libarmnntfliteparser-dev, libarmnn-cpuref-backend22) as a
# second TFLite reader independent of TensorFlow Lite. Optional: without it the Arm NN test skips.
if(NASCTL_BUILD_TESTS)
  find_path(NASCTL_ARMNN_INCLUDE armnnTfLiteParser/ITfLiteParser.hpp)
  find_library(NASCTL_ARMNN_LIBRARY armnn)
  find_library(NASCTL_ARMNN_TFLITE_LIBRARY armnnTfLiteParser)
  find_path(NASCTL_ARMNN_BACKENDS Arm_CpuRef_backend.so
            PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/armnn22 /usr/lib/armnn22 NO_DEFAULT_PATH)
  if(NASCTL_ARMNN_INCLUDE AND NASCTL_ARMNN_LIBRARY AND NASCTL_ARMNN_TFLITE_LIBRARY AND NASCTL_ARMNN_BACKENDS)
    add_executable(nasctl_armnn_runner ${PROJECT_SOURCE_DIR}/tests/export/armnn_runner.cpp)
    target_include_directories(nasctl_armnn_runner PRIVATE ${NASCTL_ARMNN_INCLUDE})
    target_link_libraries(nasctl_armnn_runner PRIVATE ${NASCTL_ARMNN_TFLITE_LIBRARY} ${NASCTL_ARMNN_LIBRARY})
    target_compile_definitions(nasctl_armnn_runner PRIVATE ARMNN_BACKENDS_DIR="${NASCTL_ARMNN_BACKENDS}")
    target_compile_features(nasctl_armnn_runner PRIVATE cxx_std_17)
    set_target_properties(nasctl_armnn_runner PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
  else()
    message(STATUS "Arm NN not found: the export tests' Arm NN check will skip")
  endif()
endif()
