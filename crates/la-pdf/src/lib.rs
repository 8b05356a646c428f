//! la-pdf
