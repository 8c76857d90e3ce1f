# vcf_cds_stage(<folder> [DEPENDS <earlier stage>...] [LIBS <imported target>...])
#
# Builds src/<folder>/*.cpp (src/app/main.cpp excepted) into the static library vcf_cds_<folder>.
# Stages must be declared in data-flow order; DEPENDS may name only stages declared before.
# The stage compiles against a generated include view (build/stage-includes/<folder>):
#   include/vcf_cds/  the public header of the stage and of every stage it reaches through DEPENDS
#   src/              its own folder and src/common (the shared utilities every stage may use)
# so a back-reference or another folder's private header is a compile error, not a convention.
set_property(GLOBAL PROPERTY VCF_CDS_STAGES "")  # stages declared so far, in data-flow order

function(vcf_cds_stage name)
  cmake_parse_arguments(STAGE "" "" "DEPENDS;LIBS" ${ARGN})
  get_property(declared GLOBAL PROPERTY VCF_CDS_STAGES)
  set(reach ${name})
  foreach(dep IN LISTS STAGE_DEPENDS)
    if(NOT dep IN_LIST declared)
      message(FATAL_ERROR "stage ${name} depends on ${dep}, which is not an earlier stage "
                          "(declared so far: ${declared})")
    endif()
    get_property(dep_reach GLOBAL PROPERTY VCF_CDS_REACH_${dep})
    list(APPEND reach ${dep_reach})
  endforeach()
  list(REMOVE_DUPLICATES reach)
  set_property(GLOBAL PROPERTY VCF_CDS_REACH_${name} ${reach})

  set(view ${CMAKE_BINARY_DIR}/stage-includes/${name})
  file(REMOVE_RECURSE ${view})
  file(MAKE_DIRECTORY ${view}/include/vcf_cds ${view}/src)
  foreach(stage IN LISTS reach)
    set(header ${CMAKE_SOURCE_DIR}/include/vcf_cds/${stage}.hpp)
    if(EXISTS ${header})
      file(CREATE_LINK ${header} ${view}/include/vcf_cds/${stage}.hpp SYMBOLIC)
    endif()
  endforeach()
  # result.hpp is the error vocabulary of every stage (it belongs to common).
  file(CREATE_LINK ${CMAKE_SOURCE_DIR}/include/vcf_cds/result.hpp
       ${view}/include/vcf_cds/result.hpp SYMBOLIC)
  file(CREATE_LINK ${CMAKE_SOURCE_DIR}/src/common ${view}/src/common SYMBOLIC)
  if(NOT name STREQUAL "common")
    file(CREATE_LINK ${CMAKE_SOURCE_DIR}/src/${name} ${view}/src/${name} SYMBOLIC)
  endif()

  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${name}/*.cpp)
  list(FILTER sources EXCLUDE REGEX "/src/app/main\\.cpp$")
  add_library(vcf_cds_${name} STATIC ${sources})
  target_include_directories(vcf_cds_${name} PRIVATE ${view}/include ${view}/src)
  foreach(dep IN LISTS STAGE_DEPENDS)
    target_link_libraries(vcf_cds_${name} PUBLIC vcf_cds_${dep})
  endforeach()
  target_link_libraries(vcf_cds_${name} PUBLIC ${STAGE_LIBS})
  set_property(GLOBAL APPEND PROPERTY VCF_CDS_STAGES ${name})
endfunction()
