//! Error numbers as the kernel returns them (`include/uapi/asm-generic/errno-base.h`).
