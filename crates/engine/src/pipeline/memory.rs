//! The process's memory allocator, tuned for a model's large, short-lived activations.
//!
//! [`keep_freed_memory_for_reuse`] changes the allocator's policy for the whole process, so
//! the engine never calls it: a front end (the `reportfig` binary, the bench) calls it once
//! at start, as the owner of the process. [`release_free_memory`] only hands back memory the
//! engine itself freed, and the engine calls it after loading.

/// Asks the allocator to keep freed memory for reuse instead of returning it to the system
/// after every op (glibc only; elsewhere a no-op). For the program that owns the process to
/// call once before heavy work; repeat calls are harmless.
///
/// Why: glibc serves blocks above its mmap threshold (at most 32 MiB, adjusted on the fly)
/// with fresh mappings and unmaps them on free, so every activation of a VAE decode (a
/// 128-channel map at 512² is 128 MiB) was faulted in and zeroed by the kernel again:
/// 12% of a decode's samples in `clear_page_erms` and 7-8 s of system time per decode on the
/// 2-core bench machine. Serving them from the heap and not trimming it after each free took
/// the decode from 7.4-8.2 s to 5.1 s for 0.12 GiB more peak RSS. (A cache of freed
/// blocks of exactly equal size, tried first, reached only 5.5-6.2 s for 0.57 GiB more: the
/// decode's sizes vary by stage, and glibc splits and merges free space.) The heap is still
/// trimmed explicitly by [`release_free_memory`] after loading.
pub fn keep_freed_memory_for_reuse() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // The largest value mallopt takes (an int); blocks above it are mapped as before.
        const THRESHOLD: libc::c_int = libc::c_int::MAX;
        // SAFETY: mallopt only changes glibc's allocation policy for later calls.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, THRESHOLD);
            libc::mallopt(libc::M_TRIM_THRESHOLD, THRESHOLD);
        }
    }
}

/// Hands memory that was freed inside the heap back to the system (glibc only; elsewhere a
/// no-op). Packing weights at load time frees each loaded tensor right after copying it, and
/// glibc keeps those holes resident: without this a loaded UNet costs ~0.6 GiB more RSS.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns unused pages of the allocator's own heap.
    unsafe {
        libc::malloc_trim(0);
    }
}
