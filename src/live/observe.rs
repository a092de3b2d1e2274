//! Observing the live systems (filled in with the clients).
