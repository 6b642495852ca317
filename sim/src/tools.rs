//! Not in the kernel: the user-space tools whose output students compare, one
//! module per source file. Each reproduces the real tool's bytes from plain
//! view structs (the `/proc` files they read are in [`crate::fs::proc`]), and
//! none reads a clock (times come in the views and print in UTC). A tool a
//! look step runs also has its `on_kernel`, the kernel function its
//! declaration in [`crate::syscalls`] names: it fills the views from the
//! model and renders them.
//!
//! | module | real source it follows |
//! | --- | --- |
//! | [`free`] | procps-ng 4.0.2 `src/free.c` (`scale_size`, `print_head_col`) and `library/meminfo.c` |
//! | [`df`] | coreutils 9.1 `src/df.c` (`get_header`, `get_dev`, `print_table`) |
//! | [`human`] | gnulib `lib/human.c` (`human_readable`, used by df and ls) |
//! | [`ls`] | coreutils 9.1 `src/ls.c` (`print_long_format`, `format_user_or_group`) and gnulib `lib/filemode.c` |
//! | [`pmap`] | procps-ng 4.0.2 `src/pmap.c` (`one_proc`, `mapping_name`) |
//! | [`page_types`] | `tools/vm/page-types.c` (`page_flag_names`, `page_flag_name`, `page_flag_longname`) |
//! | `util` | C's `%*s`/`%-*s`, glibc getopt_long's long-option lookup |
//!
//! (`ipcs` and `/proc/sysvipc/shm` are in [`crate::ipc::proc`].)

pub mod df;
pub mod free;
pub mod human;
pub mod ls;
pub mod page_types;
pub mod pmap;
pub(crate) mod util;
