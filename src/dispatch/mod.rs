//! The dispatch core (being written).
