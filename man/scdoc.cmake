# Runs scdoc on one page: cmake -DSCDOC=... -DIN=page.scd -DOUT=page -P scdoc.cmake
# (a script, so the redirections need no shell). The page's date is
# SOURCE_DATE_EPOCH when set (reproducible builds), else scdoc's default.
execute_process(COMMAND ${SCDOC} INPUT_FILE ${IN} OUTPUT_FILE ${OUT}.tmp RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUT}.tmp)
  message(FATAL_ERROR "scdoc failed on ${IN}")
endif()
file(RENAME ${OUT}.tmp ${OUT})
