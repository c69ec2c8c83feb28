//! ctfy-client
