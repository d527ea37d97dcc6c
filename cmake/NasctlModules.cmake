# nasctl_module(NAME [DEPENDS module...] [LIBS target...]) builds the library nasctl_NAME from
# src/NAME/*.cpp, linked to the modules it declares and nothing else. The build enforces the
# boundaries:
# - public headers (include/nasctl/NAME/*.h) are visible to NAME and to whatever links it, i.e. a
#   module sees the public headers of its declared dependencies only: an upward or undeclared
#   `#include "nasctl/other/..."` does not compile;
# - private headers (src/NAME/*.h, included as "NAME/x.h") are visible inside NAME only.
# Each sees them through a folder of its own holding one link (build/modules/public/NAME/nasctl/NAME
# -> include/nasctl/NAME, build/modules/private/NAME/NAME -> src/NAME).
# A folder holding one link, `link` -> `target`, for an include path that shows one folder only.
function(nasctl_link_folder folder link target)
  file(MAKE_DIRECTORY ${folder})
  file(CREATE_LINK ${target} ${folder}/${link} SYMBOLIC)
endfunction()

function(nasctl_module name)
  cmake_parse_arguments(M "" "" "DEPENDS;LIBS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
  add_library(nasctl_${name} STATIC ${sources})
  set(public ${PROJECT_BINARY_DIR}/modules/public/${name})
  set(private ${PROJECT_BINARY_DIR}/modules/private/${name})
  nasctl_link_folder(${public}/nasctl ${name} ${PROJECT_SOURCE_DIR}/include/nasctl/${name})
  nasctl_link_folder(${private} ${name} ${PROJECT_SOURCE_DIR}/src/${name})
  target_include_directories(nasctl_${name} PUBLIC ${public} PRIVATE ${private})
  foreach(dependency ${M_DEPENDS})
    target_link_libraries(nasctl_${name} PUBLIC nasctl_${dependency})
  endforeach()
  if(M_LIBS)
    target_link_libraries(nasctl_${name} PUBLIC ${M_LIBS})
  endif()
  target_compile_features(nasctl_${name} PUBLIC cxx_std_17)
  target_compile_options(nasctl_${name} PRIVATE -Wall -Wextra)
  set_target_properties(nasctl_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON LINKER_LANGUAGE CXX)
endfunction()
