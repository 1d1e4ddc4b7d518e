//! The single-writer desk loop (being written).
