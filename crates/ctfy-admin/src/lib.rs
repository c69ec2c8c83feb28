//! ctfy-admin
