//! ctfy facade.
