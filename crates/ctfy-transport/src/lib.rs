//! ctfy-transport
