//! Deterministic synthetic region (being written).
