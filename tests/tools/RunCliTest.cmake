# Runs the `# RUN:` lines of one command-line test file (a small subset of lit): each line
# is a bash pipeline, run with `set -o pipefail`, in which `kiln` is the built command,
# `FileCheck` is LLVM's, `%s` is the test file, `%S` its folder, and `not CMD` succeeds when CMD exits
# non-zero without a signal. `kiln` writes graphs, programs and reports on stdout and
# dumps, statistics and errors on stderr; a RUN line picks its stream with shell
# redirections (`2>&1 >/dev/null | FileCheck` checks stderr only). Invoked by ctest as
#   cmake -DKILN=<kiln> -DFILECHECK=<FileCheck> -DBASH=<bash> -DTEST=<file> -P RunCliTest.cmake
file(STRINGS "${TEST}" runs REGEX "^# RUN: ")
if(NOT runs)
  message(FATAL_ERROR "${TEST}: no RUN line")
endif()
get_filename_component(kilnDir "${KILN}" DIRECTORY)
get_filename_component(fileCheckDir "${FILECHECK}" DIRECTORY)
# errexit: a RUN line is a sequence (`d=$(mktemp -d); not kiln ... | FileCheck ...; test ! -e
# $d/out; rm -r $d`) that must fail when any step fails, not only the last one.
set(prelude "set -eo pipefail; not() { local rc=0; \"$@\" || rc=$?; [ $rc -ne 0 ] && [ $rc -lt 128 ]; };")
foreach(run IN LISTS runs)
  string(REGEX REPLACE "^# RUN: " "" command "${run}")
  string(REPLACE "%s" "${TEST}" command "${command}")
  get_filename_component(testDir "${TEST}" DIRECTORY)
  string(REPLACE "%S" "${testDir}" command "${command}")
  execute_process(COMMAND ${CMAKE_COMMAND} -E env "PATH=${kilnDir}:${fileCheckDir}:$ENV{PATH}"
                          "${BASH}" -c "${prelude} ${command}"
                  RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${TEST}: failed (${result}): ${run}")
  endif()
endforeach()
