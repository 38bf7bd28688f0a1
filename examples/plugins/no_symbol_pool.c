/* no_symbol_pool — a shared object that is not a plugin (it exports no bp_pool_plugin), for the
 * load error tests: bpstress says which symbol is missing. */
int bp_not_a_pool(void);

int bp_not_a_pool(void) { return 42; }
