//! ctfy-standin-node
