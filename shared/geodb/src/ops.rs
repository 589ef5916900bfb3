//! Operations written once over the storage primitives, so both backends behave the same.
