//! ZTE web UI (later in this issue).
