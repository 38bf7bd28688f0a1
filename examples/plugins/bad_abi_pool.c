/* bad_abi_pool — a plugin that states an ABI version bpstress does not speak (99), for the load
 * error tests: bpstress refuses it before reading any other field of its table. */
#include <bpstress/plugin_abi.h>

static const bp_pool_api kApi = {99u, "bad-abi", NULL, NULL, NULL, NULL, NULL};

const bp_pool_api* bp_pool_plugin(void) { return &kApi; }
