# A strict warning set for our own targets (curl's PickyWarnings idea).
set(PR_WARNINGS
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition
  -Wvla -Wcast-qual -Wnull-dereference -Wundef -Wpointer-arith
  -Wimplicit-fallthrough)
option(PR_WERROR "Treat warnings as errors" ON)
if(PR_WERROR)
  list(APPEND PR_WARNINGS -Werror)
endif()
function(pr_warnings target)
  target_compile_options(${target} PRIVATE ${PR_WARNINGS})
endfunction()
