//! la-assign
