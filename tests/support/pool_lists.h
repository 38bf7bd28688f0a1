// The test-side views of the one list of built-in pools (pool/pool_list.h): a typed suite
// instantiated with PoolTypes<CorrectPools> or a parameterised one with PoolNames(CorrectPools{})
// covers a new pool as soon as its entry is in the list.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <type_traits>

#include "pool/pool_list.h"

namespace bp::testing {

// ::testing::Types of the pools of a PoolList.
template <class List>
struct PoolTypesOf;
template <class... Entries>
struct PoolTypesOf<PoolList<Entries...>> {
  using type = ::testing::Types<typename Entries::Pool...>;
};
template <class List>
using PoolTypes = typename PoolTypesOf<List>::type;

// The registry names of a PoolList's pools, in list order (for ::testing::ValuesIn).
template <class... Entries>
constexpr std::array<const char*, sizeof...(Entries)> PoolNames(PoolList<Entries...>) {
  return {Entries::Pool::kName...};
}

// The correct pools that take a buffer back on any thread (all but the floor).
template <class E>
struct IsCrossThreadPool : std::bool_constant<E::kAbout.cross_thread> {};
using CrossThreadPools = typename FilterPools<IsCrossThreadPool, CorrectPools>::type;

}  // namespace bp::testing
