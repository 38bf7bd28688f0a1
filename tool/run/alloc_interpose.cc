// The allocation functions of this program (release builds; sanitizer builds count through the
// sanitizer's hooks in alloc_track.cc): malloc, calloc, realloc, reallocarray, free,
// posix_memalign, aligned_alloc, memalign, valloc, pvalloc and the global operator new/delete.
// Each forwards to the next definition (RTLD_NEXT: an LD_PRELOADed allocator, else the C library)
// and tells the counting table (alloc_track.h) what was allocated inside a pool's call and what
// was freed. Cost: one thread-local load per allocation, one relaxed global load per free while
// nothing is counted.
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "tool/run/alloc_track_internal.h"

#ifndef BP_TRACK_WITH_HOOKS
// dlsym may itself allocate while the pointers are being resolved; those few early requests come
// from a static bump arena and are never freed.
namespace {

using MallocFn = void* (*)(size_t);
using CallocFn = void* (*)(size_t, size_t);
using ReallocFn = void* (*)(void*, size_t);
using FreeFn = void (*)(void*);
using MemalignFn = int (*)(void**, size_t, size_t);
using AlignedFn = void* (*)(size_t, size_t);

struct Next {
  MallocFn malloc_fn = nullptr;
  CallocFn calloc_fn = nullptr;
  ReallocFn realloc_fn = nullptr;
  FreeFn free_fn = nullptr;
  MemalignFn posix_memalign_fn = nullptr;
  AlignedFn aligned_alloc_fn = nullptr;
  AlignedFn memalign_fn = nullptr;
  MallocFn valloc_fn = nullptr;
  MallocFn pvalloc_fn = nullptr;
};
Next g_next;
bool g_resolving = false;

alignas(64) char g_bootstrap[16384];
size_t g_bootstrap_used = 0;

bool InBootstrap(const void* p) {
  return p >= static_cast<const void*>(g_bootstrap) &&
         p < static_cast<const void*>(g_bootstrap + sizeof g_bootstrap);
}

void* BootstrapAlloc(size_t n) {
  const size_t at = (g_bootstrap_used + 15) & ~size_t{15};
  if (at + n > sizeof g_bootstrap) return nullptr;
  g_bootstrap_used = at + n;
  return g_bootstrap + at;  // zeroed: static storage, never reused
}

template <class F>
void Resolve(F* slot, const char* name) {
  *slot = reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

// Before main and before any second thread: the first allocation of the process resolves all.
void ResolveNext() {
  if (g_next.free_fn != nullptr || g_resolving) return;
  g_resolving = true;
  Resolve(&g_next.malloc_fn, "malloc");
  Resolve(&g_next.calloc_fn, "calloc");
  Resolve(&g_next.realloc_fn, "realloc");
  Resolve(&g_next.posix_memalign_fn, "posix_memalign");
  Resolve(&g_next.aligned_alloc_fn, "aligned_alloc");
  Resolve(&g_next.memalign_fn, "memalign");
  Resolve(&g_next.valloc_fn, "valloc");
  Resolve(&g_next.pvalloc_fn, "pvalloc");
  Resolve(&g_next.free_fn, "free");
  g_resolving = false;
  if (g_next.malloc_fn == nullptr || g_next.free_fn == nullptr || g_next.calloc_fn == nullptr ||
      g_next.realloc_fn == nullptr) {
    static const char kMessage[] = "bpstress: cannot find the allocator's malloc/free\n";
    (void)!write(2, kMessage, sizeof kMessage - 1);
    abort();
  }
}

inline const Next& N() {
  if (g_next.free_fn == nullptr) [[unlikely]] {
    ResolveNext();
  }
  return g_next;
}

inline uintptr_t Caller(void* ret) { return reinterpret_cast<uintptr_t>(ret); }

void* TrackedMalloc(size_t n, uintptr_t site) {
  if (g_resolving) return BootstrapAlloc(n);
  void* p = N().malloc_fn(n);
  bp::alloc_track::OnAlloc(p, n, site);
  return p;
}

void TrackedFree(void* p) {
  if (p == nullptr || InBootstrap(p)) return;
  bp::alloc_track::OnFree(p);  // before the block can be handed out again
  N().free_fn(p);
}

void* TrackedAligned(size_t align, size_t n, uintptr_t site) {
  void* p = nullptr;
  if (N().posix_memalign_fn == nullptr || N().posix_memalign_fn(&p, align, n) != 0) return nullptr;
  bp::alloc_track::OnAlloc(p, n, site);
  return p;
}

void* NewOrThrow(size_t n, uintptr_t site) {
  for (;;) {
    void* p = TrackedMalloc(n == 0 ? 1 : n, site);
    if (p != nullptr) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void* AlignedNewOrThrow(size_t n, std::align_val_t al, uintptr_t site) {
  const size_t align = std::max(static_cast<size_t>(al), sizeof(void*));
  for (;;) {
    void* p = TrackedAligned(align, n == 0 ? 1 : n, site);
    if (p != nullptr) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

}  // namespace

extern "C" {

void* malloc(size_t n) { return TrackedMalloc(n, Caller(__builtin_return_address(0))); }

void free(void* p) { TrackedFree(p); }

void* calloc(size_t count, size_t size) {
  if (g_resolving) {
    size_t bytes = 0;
    if (__builtin_mul_overflow(count, size, &bytes)) return nullptr;
    return BootstrapAlloc(bytes);
  }
  void* p = N().calloc_fn(count, size);
  bp::alloc_track::OnAlloc(p, static_cast<uint64_t>(count) * size,
                           Caller(__builtin_return_address(0)));
  return p;
}

void* realloc(void* old, size_t n) {
  const uintptr_t site = Caller(__builtin_return_address(0));
  if (old == nullptr) return TrackedMalloc(n, site);
  if (InBootstrap(old)) {
    void* p = TrackedMalloc(n, site);
    const size_t room =
        static_cast<size_t>(g_bootstrap + sizeof g_bootstrap - static_cast<char*>(old));
    if (p != nullptr) std::memcpy(p, old, std::min(n, room));
    return p;
  }
  // A counted block stays counted wherever it is resized (its site and cycle kept); a block made
  // outside the pool's calls is counted from a resize inside one.
  bp::alloc_track::Entry before{};
  const bool counted = bp::alloc_track::Counting() && bp::alloc_track::Take(old, &before);
  void* p = N().realloc_fn(old, n);
  if (p == nullptr) {
    if (counted && n != 0) bp::alloc_track::Insert(old, before.size, before.site, before.gen);
    return nullptr;
  }
  if (counted) {
    bp::alloc_track::Insert(p, n, before.site, before.gen);
  } else {
    bp::alloc_track::OnAlloc(p, n, site);
  }
  return p;
}

void* reallocarray(void* old, size_t count, size_t size) {
  size_t bytes = 0;
  if (__builtin_mul_overflow(count, size, &bytes)) {
    errno = ENOMEM;
    return nullptr;
  }
  return realloc(old, bytes);
}

int posix_memalign(void** out, size_t align, size_t n) {
  if (N().posix_memalign_fn == nullptr) return ENOMEM;
  const int rc = N().posix_memalign_fn(out, align, n);
  if (rc == 0) bp::alloc_track::OnAlloc(*out, n, Caller(__builtin_return_address(0)));
  return rc;
}

void* aligned_alloc(size_t align, size_t n) {
  if (N().aligned_alloc_fn == nullptr) return nullptr;
  void* p = N().aligned_alloc_fn(align, n);
  bp::alloc_track::OnAlloc(p, n, Caller(__builtin_return_address(0)));
  return p;
}

void* memalign(size_t align, size_t n) {
  if (N().memalign_fn == nullptr) return nullptr;
  void* p = N().memalign_fn(align, n);
  bp::alloc_track::OnAlloc(p, n, Caller(__builtin_return_address(0)));
  return p;
}

void* valloc(size_t n) {
  if (N().valloc_fn == nullptr) return nullptr;
  void* p = N().valloc_fn(n);
  bp::alloc_track::OnAlloc(p, n, Caller(__builtin_return_address(0)));
  return p;
}

void* pvalloc(size_t n) {
  if (N().pvalloc_fn == nullptr) return nullptr;
  void* p = N().pvalloc_fn(n);
  bp::alloc_track::OnAlloc(p, n, Caller(__builtin_return_address(0)));
  return p;
}

}  // extern "C"

void* operator new(size_t n) { return NewOrThrow(n, Caller(__builtin_return_address(0))); }
void* operator new[](size_t n) { return NewOrThrow(n, Caller(__builtin_return_address(0))); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  return TrackedMalloc(n == 0 ? 1 : n, Caller(__builtin_return_address(0)));
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  return TrackedMalloc(n == 0 ? 1 : n, Caller(__builtin_return_address(0)));
}
void* operator new(size_t n, std::align_val_t al) {
  return AlignedNewOrThrow(n, al, Caller(__builtin_return_address(0)));
}
void* operator new[](size_t n, std::align_val_t al) {
  return AlignedNewOrThrow(n, al, Caller(__builtin_return_address(0)));
}
void* operator new(size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
  return TrackedAligned(std::max(static_cast<size_t>(al), sizeof(void*)), n == 0 ? 1 : n,
                        Caller(__builtin_return_address(0)));
}
void* operator new[](size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
  return TrackedAligned(std::max(static_cast<size_t>(al), sizeof(void*)), n == 0 ? 1 : n,
                        Caller(__builtin_return_address(0)));
}
void operator delete(void* p) noexcept { TrackedFree(p); }
void operator delete[](void* p) noexcept { TrackedFree(p); }
void operator delete(void* p, size_t) noexcept { TrackedFree(p); }
void operator delete[](void* p, size_t) noexcept { TrackedFree(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { TrackedFree(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { TrackedFree(p); }
void operator delete(void* p, std::align_val_t) noexcept { TrackedFree(p); }
void operator delete[](void* p, std::align_val_t) noexcept { TrackedFree(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { TrackedFree(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { TrackedFree(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { TrackedFree(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  TrackedFree(p);
}
#endif  // !BP_TRACK_WITH_HOOKS
