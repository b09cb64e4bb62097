dnl BP_COMPILE_WARNINGS(VARIABLE)
dnl Append to VARIABLE every warning flag from our list that the C compiler
dnl accepts.  We keep the list here rather than pulling in autoconf-archive.
AC_DEFUN([BP_COMPILE_WARNINGS], [
  bp_save_CFLAGS="$CFLAGS"
  for bp_flag in -Wall -Wextra -Wformat=2 -Wmissing-prototypes \
      -Wmissing-declarations -Wstrict-prototypes -Wshadow -Wvla \
      -Wpointer-arith -Wundef -Wwrite-strings -Wno-unused-parameter \
      -Wno-missing-field-initializers -Wno-cast-function-type \
      -Werror=implicit-function-declaration -Werror=format-security \
      -fno-common; do
    AC_MSG_CHECKING([whether $CC accepts $bp_flag])
    CFLAGS="$bp_save_CFLAGS -Werror $bp_flag"
    AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
      [AC_MSG_RESULT([yes]); $1="[$]$1 $bp_flag"],
      [AC_MSG_RESULT([no])])
  done
  CFLAGS="$bp_save_CFLAGS"
])
