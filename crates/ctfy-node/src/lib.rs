//! ctfy-node
