# find_package(bpstress): the plugin SDK. Defines bpstress::plugin, an INTERFACE target carrying
# the include directory of <bpstress/plugin_abi.h>:
#   find_package(bpstress 0.1 REQUIRED)
#   add_library(mypool MODULE mypool.c)
#   target_link_libraries(mypool PRIVATE bpstress::plugin)
# and bp_sched_plugin(NAME SOURCE...), the same pool built for `bpstress sched` (bpstressSched.cmake).
include("${CMAKE_CURRENT_LIST_DIR}/bpstressTargets.cmake")
include("${CMAKE_CURRENT_LIST_DIR}/bpstressSched.cmake")
