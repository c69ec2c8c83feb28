//! The server-sent event stream (`GET /events`).
