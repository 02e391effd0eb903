//! The TR-369 path grammar.
