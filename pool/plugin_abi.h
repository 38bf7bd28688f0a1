// The plugin ABI lives in include/bpstress/plugin_abi.h, the header `make install` ships as
// <bpstress/plugin_abi.h>; this name stays for code written against the source tree's old path.
#pragma once

#include "bpstress/plugin_abi.h"
