# Unit test of src/schema/registry.cmake, the generator of the schema's registry: it runs the
# generator over small entity folders written here and checks that markers are ordered by key
# whatever the file order, and that a malformed marker, a key or a symbol taken twice, or an
# unknown kind fails naming the file and line. Run by CTest as unit_schema_registry_markers:
#   cmake -DREGISTRY=src/schema/registry.cmake -DTMP=build/tmp/registry_markers -P registry_markers.cmake
cmake_minimum_required(VERSION 3.20)
if(NOT REGISTRY OR NOT TMP)
  message(FATAL_ERROR "registry_markers.cmake needs -DREGISTRY=... -DTMP=...")
endif()

set(failures 0)
# run_case(NAME <files: name=text pairs as separate arguments>) runs the generator over a
# folder holding them; sets case_rc, case_err and case_out.
function(run_case name)
  set(dir ${TMP}/${name})
  file(REMOVE_RECURSE ${dir})
  file(MAKE_DIRECTORY ${dir}/entities)
  set(args ${ARGN})
  while(args)
    list(POP_FRONT args fname text)
    string(REPLACE "@SEMI@" ";" text "${text}")
    file(WRITE ${dir}/entities/${fname} "${text}")
  endwhile()
  execute_process(COMMAND ${CMAKE_COMMAND} -DENTITY_DIR=${dir}/entities -DOUT=${dir}/registry.c
                          -P ${REGISTRY}
                  RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
  string(REGEX REPLACE "[ \t\r\n]+" " " err "${err}") # CMake wraps its messages
  set(out "")
  if(EXISTS ${dir}/registry.c)
    file(READ ${dir}/registry.c out)
  endif()
  set(case_rc ${rc} PARENT_SCOPE)
  set(case_err "${err}" PARENT_SCOPE)
  set(case_out "${out}" PARENT_SCOPE)
endfunction()

macro(check what okvar)
  if(${okvar})
    message(STATUS "ok: ${what}")
  else()
    message(SEND_ERROR "FAILED: ${what}\n  exit: ${case_rc}\n  stderr: ${case_err}\n  output: ${case_out}")
    math(EXPR failures "${failures} + 1")
  endif()
endmacro()

# expect_failure(NAME <substrings of the message>... FILES <files>)
function(expect_failure name)
  cmake_parse_arguments(E "" "" "MESSAGE;FILES" ${ARGN})
  run_case(${name} ${E_FILES})
  set(ok TRUE)
  if(case_rc EQUAL 0)
    set(ok FALSE)
  endif()
  foreach(m ${E_MESSAGE})
    string(FIND "${case_err}" "${m}" at)
    if(at LESS 0)
      set(ok FALSE)
    endif()
  endforeach()
  check("${name} fails naming ${E_MESSAGE}" ok)
  set(failures ${failures} PARENT_SCOPE)
endfunction()

# A ';' would split the file texts into list items: they are written ${SEMI} and put back by
# run_case.
set(SEMI "@SEMI@")
set(base_enum "GC_SCHEMA_REGISTER(enum, 100, gc_enum_a)${SEMI}\n")
set(base_complex "GC_SCHEMA_REGISTER(complex, 100, gc_complex_a)${SEMI}\n")

# Ordered by key, not by file: b.c (key 50) comes before a.c (key 60) and c.c's 55 slots in
# between; comments naming the macro are not markers.
run_case(order
  a.c "/* a */\n  GC_SCHEMA_REGISTER( entity ,60,gc_type_a )${SEMI}\nconst gc_entity_type gc_type_a = {0}${SEMI}\n${base_enum}${base_complex}"
  b.c "/* registered with GC_SCHEMA_REGISTER, see entities.h */\nGC_SCHEMA_REGISTER(entity, 50, gc_type_b)${SEMI}\n"
  c.c "GC_SCHEMA_REGISTER(entity, 55, gc_type_c)${SEMI}\nGC_SCHEMA_REGISTER(enum, 99, gc_enum_c)${SEMI}\n")
string(FIND "${case_out}" "&gc_type_b," at_b)
string(FIND "${case_out}" "&gc_type_c," at_c)
string(FIND "${case_out}" "&gc_type_a," at_a)
string(FIND "${case_out}" "&gc_enum_c," at_ec)
string(FIND "${case_out}" "&gc_enum_a," at_ea)
set(ordered FALSE)
if(case_rc EQUAL 0 AND at_b GREATER -1 AND at_b LESS at_c AND at_c LESS at_a AND at_ec GREATER -1
   AND at_ec LESS at_ea)
  set(ordered TRUE)
endif()
check("markers are sorted by key across files" ordered)
string(FIND "${case_out}" "const size_t gc_schema_n_types = 3;" at_n)
set(counted FALSE)
if(at_n GREATER -1)
  set(counted TRUE)
endif()
check("the count of entity types is 3" counted)

expect_failure(duplicate_key
  MESSAGE "b.c:2:" "entity key 7 is already taken by" "a.c:1"
  FILES a.c "GC_SCHEMA_REGISTER(entity, 7, gc_type_a)${SEMI}\n${base_enum}${base_complex}"
        b.c "/* b */\nGC_SCHEMA_REGISTER(entity, 7, gc_type_b)${SEMI}\n")
expect_failure(duplicate_symbol
  MESSAGE "b.c:1:" "gc_type_a is already registered by" "a.c:1"
  FILES a.c "GC_SCHEMA_REGISTER(entity, 7, gc_type_a)${SEMI}\n${base_enum}${base_complex}"
        b.c "GC_SCHEMA_REGISTER(entity, 8, gc_type_a)${SEMI}\n")
expect_failure(malformed_key
  MESSAGE "a.c:3:" "malformed registry marker"
  FILES a.c "${base_enum}${base_complex}GC_SCHEMA_REGISTER(entity, 1x, gc_type_a)${SEMI}\n")
expect_failure(split_marker
  MESSAGE "a.c:1:" "malformed registry marker"
  FILES a.c "GC_SCHEMA_REGISTER(entity, 10,\n    gc_type_a)${SEMI}\n${base_enum}${base_complex}")
expect_failure(marker_not_alone
  MESSAGE "a.c:1:" "malformed registry marker"
  FILES a.c "int x${SEMI} GC_SCHEMA_REGISTER(entity, 10, gc_type_a)${SEMI}\n${base_enum}${base_complex}")
expect_failure(unknown_kind
  MESSAGE "a.c:1:" "unknown kind 'entitty'"
  FILES a.c "GC_SCHEMA_REGISTER(entitty, 10, gc_type_a)${SEMI}\n${base_enum}${base_complex}")
expect_failure(leading_zero
  MESSAGE "a.c:1:" "without leading zeros"
  FILES a.c "GC_SCHEMA_REGISTER(entity, 010, gc_type_a)${SEMI}\n${base_enum}${base_complex}")
expect_failure(key_too_large
  MESSAGE "a.c:1:" "1..999999"
  FILES a.c "GC_SCHEMA_REGISTER(entity, 1000000, gc_type_a)${SEMI}\n${base_enum}${base_complex}")
expect_failure(no_complex_type
  MESSAGE "no GC_SCHEMA_REGISTER(complex, ...)"
  FILES a.c "GC_SCHEMA_REGISTER(entity, 10, gc_type_a)${SEMI}\n${base_enum}")

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} case(s) failed")
endif()
