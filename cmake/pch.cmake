# bp_precompile(target [header...]): the target's translation units start from one precompiled
# header of nlohmann/json, the standard headers the project's sources use most, and any `header`
# given (a target with its own, e.g. GoogleTest). A no-op with BP_PCH off.
#
# What a source uses, it still includes itself: a build without BP_PCH (every ccache build)
# compiles the same sources, so a missing include shows there.
set(BP_PCH_HEADERS
    <algorithm> <array> <atomic> <chrono> <cstdint> <cstdio> <cstring> <functional> <map>
    <memory> <mutex> <optional> <set> <sstream> <string> <string_view> <thread> <utility>
    <variant> <vector> <nlohmann/json.hpp>)

function(bp_precompile target)
  if(BP_PCH)
    target_precompile_headers(${target} PRIVATE ${BP_PCH_HEADERS} ${ARGN})
  endif()
endfunction()
