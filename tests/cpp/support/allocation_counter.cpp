#include "support/allocation_counter.hpp"

#include <cstdlib>
#include <new>

namespace {

thread_local bool counting = false;
thread_local std::size_t allocations = 0;

inline void note_allocation() noexcept {
  if (counting) ++allocations;
}

}  // namespace

#if defined(__SANITIZE_ADDRESS__)
// Under AddressSanitizer the allocator is ASan's own and must not be replaced: its hooks, called on every
// allocation (malloc, new and the rest), count instead.
// Declared here: GCC ships the function in libasan but not the header (<sanitizer/allocator_interface.h>).
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*on_allocation)(const volatile void*, std::size_t),
                                                         void (*on_release)(const volatile void*));

namespace {
void on_allocation(const volatile void*, std::size_t) { note_allocation(); }
void on_release(const volatile void*) {}
const int hooks_installed = __sanitizer_install_malloc_and_free_hooks(&on_allocation, &on_release);
}  // namespace

#else
// glibc's own allocator entry points, which the replacements below forward to.
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* pointer, std::size_t size);
void __libc_free(void* pointer);
void* __libc_memalign(std::size_t alignment, std::size_t size);
}

namespace {

void* allocate(std::size_t size, std::size_t alignment) {
  note_allocation();
  void* pointer = alignment <= alignof(std::max_align_t) ? __libc_malloc(size ? size : 1)
                                                         : __libc_memalign(alignment, size ? size : 1);
  if (!pointer) throw std::bad_alloc();
  return pointer;
}

}  // namespace

extern "C" {
void* malloc(std::size_t size) {
  note_allocation();
  return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) {
  note_allocation();
  return __libc_calloc(count, size);
}
void* realloc(void* pointer, std::size_t size) {
  note_allocation();
  return __libc_realloc(pointer, size);
}
void free(void* pointer) { __libc_free(pointer); }
}

void* operator new(std::size_t size) { return allocate(size, 0); }
void* operator new[](std::size_t size) { return allocate(size, 0); }
void* operator new(std::size_t size, std::align_val_t alignment) {
  return allocate(size, static_cast<std::size_t>(alignment));
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
  return allocate(size, static_cast<std::size_t>(alignment));
}
void operator delete(void* pointer) noexcept { __libc_free(pointer); }
void operator delete[](void* pointer) noexcept { __libc_free(pointer); }
void operator delete(void* pointer, std::size_t) noexcept { __libc_free(pointer); }
void operator delete[](void* pointer, std::size_t) noexcept { __libc_free(pointer); }
void operator delete(void* pointer, std::align_val_t) noexcept { __libc_free(pointer); }
void operator delete[](void* pointer, std::align_val_t) noexcept { __libc_free(pointer); }
void operator delete(void* pointer, std::size_t, std::align_val_t) noexcept { __libc_free(pointer); }
void operator delete[](void* pointer, std::size_t, std::align_val_t) noexcept { __libc_free(pointer); }

#endif  // __SANITIZE_ADDRESS__

namespace rtn::testing {

CountAllocations::CountAllocations() noexcept : start_(allocations) { counting = true; }
CountAllocations::~CountAllocations() { counting = false; }
std::size_t CountAllocations::count() const noexcept { return allocations - start_; }

}  // namespace rtn::testing
