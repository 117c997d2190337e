//! The server's memory allocator: small blocks from mimalloc, large ones from the system.
//!
//! - Small blocks (a page render makes thousands): mimalloc's per-thread free lists. With
//!   glibc's malloc, its locks, free and consolidation were a third of the time of a
//!   server-rendered page.
//! - Blocks of [`LARGE`] and more (each password hash takes about 19 MiB, a snapshot its
//!   buffers): the system's allocator, which maps them on their own and unmaps them when
//!   freed (`main` fixes glibc's threshold for that), so they go back to the system at once
//!   and never wait on, or hold, the small blocks' allocator.
//!
//! A block is freed by the allocator that made it: Rust hands `dealloc` and `realloc` the
//! block's layout, so its size tells which; a `realloc` across [`LARGE`] moves the block.

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks at least this big come from the system (glibc's mapping threshold).
pub const LARGE: usize = 256 * 1024;

pub struct Split;

fn large(size: usize) -> bool {
    size >= LARGE
}

// SAFETY: each call is passed on to one of two allocators that uphold `GlobalAlloc`'s
// contract; a block always goes back to the allocator that made it (chosen by its size,
// which the caller passes unchanged), and `realloc` across the threshold copies the
// smaller of the two sizes into a block of the other allocator before freeing the old one.
unsafe impl GlobalAlloc for Split {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout is passed on unchanged.
        unsafe {
            if large(layout.size()) {
                System.alloc(layout)
            } else {
                mimalloc::MiMalloc.alloc(layout)
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        unsafe {
            if large(layout.size()) {
                System.alloc_zeroed(layout)
            } else {
                mimalloc::MiMalloc.alloc_zeroed(layout)
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was made by the allocator its size picks (see `alloc`).
        unsafe {
            if large(layout.size()) {
                System.dealloc(ptr, layout)
            } else {
                mimalloc::MiMalloc.dealloc(ptr, layout)
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same side: passed on. Across the threshold: a new block from the other
        // side (same alignment; `new_size` is valid for it by `realloc`'s contract), the
        // bytes both sizes hold copied, the old block freed by its own allocator.
        unsafe {
            match (large(layout.size()), large(new_size)) {
                (false, false) => mimalloc::MiMalloc.realloc(ptr, layout, new_size),
                (true, true) => System.realloc(ptr, layout, new_size),
                _ => {
                    let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
                    let new = self.alloc(new_layout);
                    if !new.is_null() {
                        std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    new
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A block grown from small to large and shrunk back (so moved between the two
    /// allocators both ways) keeps its bytes; zeroed blocks are zero on both sides.
    #[test]
    fn blocks_keep_their_bytes_across_the_threshold() {
        let a = Split;
        let small = Layout::from_size_align(1000, 8).expect("layout");
        // SAFETY: every block is used within its size and freed once with its layout.
        unsafe {
            let p = a.alloc(small);
            assert!(!p.is_null());
            for i in 0..1000 {
                *p.add(i) = (i % 251) as u8;
            }
            let p = a.realloc(p, small, LARGE * 2);
            assert!(!p.is_null());
            assert!((0..1000).all(|i| *p.add(i) == (i % 251) as u8));
            *p.add(LARGE * 2 - 1) = 9;
            let big = Layout::from_size_align(LARGE * 2, 8).expect("layout");
            let p = a.realloc(p, big, 500);
            assert!(!p.is_null());
            assert!((0..500).all(|i| *p.add(i) == (i % 251) as u8));
            a.dealloc(p, Layout::from_size_align(500, 8).expect("layout"));
            for size in [64, LARGE + 1] {
                let l = Layout::from_size_align(size, 16).expect("layout");
                let z = a.alloc_zeroed(l);
                assert!(!z.is_null());
                assert!((0..size).all(|i| *z.add(i) == 0));
                a.dealloc(z, l);
            }
        }
    }
}
