// From a pool spec to the pool's static type: WithPoolType(spec, f) calls
// f.template operator()<P>(make) with P the spec's pool type and `make` a callable returning a
// std::unique_ptr<P> built from the spec's options. The types come from the one list of built-in
// pools (pool/pool_list.h): the stress runner (run_spec_correct.cc, run_spec_faulty.cc) and the
// contract checker (contract.cc) both go through here, and a new pool needs only its entry there.
//
// The spec must have passed ValidatePoolSpec (run_spec.h). Header-only: each caller instantiates
// its own code per pool type.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <string_view>

#include "pool/pool_list.h"
#include "pool/registry.h"

namespace bp {
namespace pool_types_detail {

template <class F, class E, class... Rest>
decltype(auto) WithEntryAt(const PoolSpec& spec, size_t index, F& f) {
  if constexpr (sizeof...(Rest) == 0) {
    if (index != 0) std::abort();  // PoolEntries() is built from the same list
    return f.template operator()<typename E::Pool>([&] { return E::Make(spec); });
  } else {
    if (index == 0) return f.template operator()<typename E::Pool>([&] { return E::Make(spec); });
    return WithEntryAt<F, Rest...>(spec, index - 1, f);
  }
}

template <class F, class... Entries>
decltype(auto) WithEntryIn(PoolList<Entries...>, const PoolSpec& spec, size_t index, F& f) {
  return WithEntryAt<F, Entries...>(spec, index, f);
}

template <class F, class E, class... Rest>
decltype(auto) WithNamedEntry(const PoolSpec& spec, F& f) {
  const bool here = std::string_view(spec.entry->name) == E::Pool::kName;
  if constexpr (sizeof...(Rest) == 0) {
    if (!here) std::abort();  // the caller chose the sublist by the entry
    return f.template operator()<typename E::Pool>([&] { return E::Make(spec); });
  } else {
    if (here) return f.template operator()<typename E::Pool>([&] { return E::Make(spec); });
    return WithNamedEntry<F, Rest...>(spec, f);
  }
}

template <class F, class... Entries>
decltype(auto) WithNamedEntryIn(PoolList<Entries...>, const PoolSpec& spec, F& f) {
  return WithNamedEntry<F, Entries...>(spec, f);
}

}  // namespace pool_types_detail

template <class F>
decltype(auto) WithPoolType(const PoolSpec& spec, F&& f) {
  // PoolEntries() holds BuiltinPools' entries in list order: the entry's place is its index.
  const size_t index = static_cast<size_t>(spec.entry - PoolEntries().data());
  return pool_types_detail::WithEntryIn(BuiltinPools{}, spec, index, f);
}

// WithPoolType over a part of the list (CorrectPools, FaultyPools: pool/pool_list.h), which must
// hold the spec's entry: a caller that compiles the runner for each part in a translation unit of
// its own (run_spec.cc) instantiates each pool's code once, and in parallel.
template <class List, class F>
decltype(auto) WithPoolTypeIn(List list, const PoolSpec& spec, F&& f) {
  return pool_types_detail::WithNamedEntryIn(list, spec, f);
}

}  // namespace bp
