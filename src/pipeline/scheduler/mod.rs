//! Schedulers
