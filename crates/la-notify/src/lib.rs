//! la-notify
