// faulty:aba (pool/faulty/aba_pool.h) as a plugin for `bpstress sched`: see faulty_plugin.h.
#include "pool/faulty/aba_pool.h"
#include "tool/sched/testdata/faulty_plugin.h"

BP_FAULTY_PLUGIN(bp::AbaPool, "faulty-aba")
