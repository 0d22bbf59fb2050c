//! The example app's allocator: mimalloc for blocks under 1 MiB, the system's (glibc's malloc)
//! for bigger ones.
//!
//! Measured (docs/performance.md, "An allocator"): mimalloc alone serves a 100-row list 21%
//! faster than glibc and keeps its throughput up to 1,024 connections, where glibc's falls by
//! a third; but a body that grows a block by doubling (a 2.6 MB MessagePack array of nils,
//! echoed) peaked at 421 MiB with it against 261 MiB with glibc, whose `realloc` moves a big
//! block's pages (`mremap`) instead of copying them. So small blocks, where the speed is, go to
//! mimalloc, and big ones to glibc.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};

use mimalloc::MiMalloc;

/// Blocks of this many bytes or more go to the system allocator.
const BIG: usize = 1 << 20;

/// Settles how memory is given back; call it first thing in `main`.
///
/// - **glibc's mmap threshold is fixed at [`BIG`]**, so every big block is mapped on its own
///   and unmapped when freed. Left to itself, glibc raises its threshold to the size of the
///   last mapped block freed (up to 32 MiB): after the startup's Argon2 hash (about 19 MiB,
///   freed), the next one (each login's) came from the heap and stayed resident when freed,
///   19 MB for good. Setting the threshold turns that adjustment off: the resident set after
///   starting and one login went from 54,912 to 35,532 kB.
/// - **No transparent huge pages** (`prctl(PR_SET_THP_DISABLE)`; mimalloc is also built with
///   `no_thp`, so it never asks for them). mimalloc asked for huge pages for its arena, and a
///   2 MiB page is resident as soon as one byte of it is touched: 16 MiB of the arena was
///   resident right after start for about 4 MiB in use. Without them the resident set after
///   start went from 35,972 to 23,116 kB, and with 1,024 idle keep-alive connections from
///   66,804 to 41,872 kB, with no loss of throughput (docs/performance.md).
/// - **mimalloc gives freed pages back after [`PURGE_DELAY_MS`]**, not its default second,
///   unless `MIMALLOC_PURGE_DELAY` says otherwise. Under 1,024 connections of creates the
///   peak resident set fell by about 5 MB, with no loss of throughput measured on any route;
///   0, 1 and 10 ms cost creates 12–18% there (docs/performance.md, "Memory at 1,024 connections").
pub fn settle() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: `mi_option_set` stores one option of mimalloc's, which reads it afresh each
        // time it schedules a purge; no pointer is passed.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let threshold = libc::c_int::try_from(BIG).unwrap_or(libc::c_int::MAX);
        // SAFETY: `mallopt` only sets a parameter of glibc's allocator, under glibc's own
        // lock; `main` calls it before any other thread exists. A refusal (0) leaves glibc's
        // default, which only costs memory.
        let _ = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, threshold) };
        // SAFETY: `PR_SET_THP_DISABLE` takes an integer flag and no pointer; it only sets how
        // the kernel backs this process's memory. A refusal (an old kernel) costs memory only.
        let _ = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    }
}

/// How long mimalloc keeps freed pages before it gives them back to the system, in ms.
const PURGE_DELAY_MS: std::ffi::c_long = 100;

/// `mi_option_purge_delay` in `mimalloc.h`'s `mi_option_t` (its place is the same in
/// mimalloc v2 and v3; libmimalloc-sys names it only with a feature that needs a crate more).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

// mimalloc's own functions, in the library that libmimalloc-sys builds and links.
unsafe extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    #[cfg(test)]
    fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
}

/// mimalloc under [`BIG`], the system allocator from it.
pub struct Split;

fn big(size: usize) -> bool {
    size >= BIG
}

// SAFETY: every block is freed or resized by the allocator that made it. `GlobalAlloc` hands
// `dealloc` and `realloc` the layout the block was made with, and both allocators are chosen
// by that layout's size alone; a `realloc` that crosses `BIG` allocates in the other one,
// copies and frees, as the trait's default `realloc` does.
unsafe impl GlobalAlloc for Split {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's guarantees for `layout` hold for either allocator.
        unsafe {
            if big(layout.size()) {
                System.alloc(layout)
            } else {
                MiMalloc.alloc(layout)
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        unsafe {
            if big(layout.size()) {
                System.alloc_zeroed(layout)
            } else {
                MiMalloc.alloc_zeroed(layout)
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was made with `layout`, so by the allocator its size chooses.
        unsafe {
            if big(layout.size()) {
                System.dealloc(ptr, layout);
            } else {
                MiMalloc.dealloc(ptr, layout);
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match (big(layout.size()), big(new_size)) {
            // SAFETY: the block stays with the allocator that made it.
            (true, true) => unsafe { System.realloc(ptr, layout, new_size) },
            // SAFETY: as above.
            (false, false) => unsafe { MiMalloc.realloc(ptr, layout, new_size) },
            _ => {
                // SAFETY: the caller guarantees that `new_size`, rounded up to the alignment,
                // does not overflow `isize`, so the layout is valid.
                let new_layout =
                    unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
                // SAFETY: `new_layout` has a non-zero size (`new_size` > 0, by the caller).
                let new = unsafe { self.alloc(new_layout) };
                if !new.is_null() {
                    // SAFETY: both blocks are valid for the smaller size and do not overlap;
                    // the old one is freed with the layout it was made with.
                    unsafe {
                        std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                }
                new
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn freed_pages_go_back_after_the_purge_delay() {
        // SAFETY: reads one option; no pointer.
        let get = || unsafe { super::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // The option at that place is the purge delay: mimalloc v3's default is 1000 ms
            // (no other option of its defaults to 1000), unless a test here settled already.
            assert!([1000, super::PURGE_DELAY_MS].contains(&get()), "{}", get());
            super::settle();
            assert_eq!(get(), super::PURGE_DELAY_MS);
        }
    }

    #[test]
    fn blocks_cross_the_threshold_both_ways_with_their_bytes() {
        // The test binary's allocator is `Split` too (the crate's `#[global_allocator]`).
        let mut v: Vec<u8> = (0..=255).cycle().take(1000).collect();
        v.reserve_exact(super::BIG * 2);
        assert!(v.capacity() >= super::BIG);
        assert!(v.iter().copied().eq((0..=255).cycle().take(1000)));
        v.shrink_to_fit();
        assert!(v.capacity() < super::BIG);
        assert!(v.iter().copied().eq((0..=255).cycle().take(1000)));
        let zeroed = vec![0u64; super::BIG];
        assert!(zeroed.iter().all(|&x| x == 0));
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod glibc_tests {
    use super::*;

    /// The tests here measure the process's memory: one at a time.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// The anonymous resident set, in kB.
    fn anon_kb() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .expect("/proc/self/status")
            .lines()
            .find_map(|l| l.strip_prefix("RssAnon:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("RssAnon in /proc/self/status")
    }

    /// Twice a 20 MiB block, written and freed, as two Argon2 hashes do: nothing stays
    /// resident. Without `settle`, glibc serves the second from its heap and keeps it (20 MiB
    /// more).
    #[test]
    fn a_freed_big_block_is_given_back() {
        let _alone = ONE_AT_A_TIME.lock();
        settle();
        let before = anon_kb();
        for _ in 0..2 {
            let block = vec![1u8; 20 << 20];
            assert_eq!(
                block
                    .iter()
                    .step_by(4096)
                    .map(|&b| u64::from(b))
                    .sum::<u64>(),
                5120
            );
            drop(block);
        }
        let after = anon_kb();
        assert!(
            after < before + 8 * 1024,
            "{} kB stayed resident",
            after.saturating_sub(before)
        );
    }

    /// Kilobytes of this process's memory on transparent huge pages.
    fn huge_kb() -> u64 {
        std::fs::read_to_string("/proc/self/smaps")
            .expect("/proc/self/smaps")
            .lines()
            .filter_map(|l| l.strip_prefix("AnonHugePages:"))
            .filter_map(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .sum()
    }

    /// 32 MiB in small blocks (mimalloc's) lie on no huge page.
    #[test]
    fn small_blocks_lie_on_no_huge_page() {
        let _alone = ONE_AT_A_TIME.lock();
        settle();
        let blocks: Vec<Vec<u8>> = (0..8192).map(|i| vec![i as u8; 4096]).collect();
        assert_eq!(
            blocks.iter().map(|b| u64::from(b[4095])).sum::<u64>(),
            8192 / 256 * 32640
        );
        assert_eq!(huge_kb(), 0);
    }
}
