# cmake/coapsecPc.cmake - run at install time (install(CODE) in CMakeLists.txt):
# writes DESTDIR/LIBDIR/pkgconfig/coapsec.pc from cmake/coapsec.pc.in with the
# prefix the install really uses (`cmake --install BUILD --prefix P` may differ
# from the configured one) and records it in the install manifest.
# In: COAPSEC_PC_TEMPLATE, COAPSEC_PC_VERSION, COAPSEC_PC_DESCRIPTION,
# COAPSEC_PC_LIBDIR and COAPSEC_PC_INCLUDEDIR (relative to the prefix unless
# absolute), and CMAKE_INSTALL_PREFIX (set by cmake --install).
set(_coapsec_pcdir "${COAPSEC_PC_LIBDIR}/pkgconfig")
if(NOT IS_ABSOLUTE "${_coapsec_pcdir}")
  set(_coapsec_pcdir "${CMAKE_INSTALL_PREFIX}/${_coapsec_pcdir}")
endif()
foreach(_coapsec_dir LIBDIR INCLUDEDIR)
  if(NOT IS_ABSOLUTE "${COAPSEC_PC_${_coapsec_dir}}")
    set(COAPSEC_PC_${_coapsec_dir} "\${prefix}/${COAPSEC_PC_${_coapsec_dir}}")
  endif()
endforeach()
set(_coapsec_pc "$ENV{DESTDIR}${_coapsec_pcdir}/coapsec.pc")
message(STATUS "Installing: ${_coapsec_pc}")
configure_file("${COAPSEC_PC_TEMPLATE}" "${_coapsec_pc}" @ONLY)
list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${_coapsec_pc}")
