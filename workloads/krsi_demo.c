/*
 * The library LD_PRELOAD names (/lib/libkrsi-demo.so): present and empty, so
 * that a dynamic target preloads it as it would a real one. One symbol, since
 * an object without any is not a valid DSO to every linker.
 */
int krsi_demo_preloaded;
