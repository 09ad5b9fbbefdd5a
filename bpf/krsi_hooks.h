/*
 * krsi_hooks sends the event of krsi_ld_preload.h: the same LD_PRELOAD scan,
 * from other hooks and through other channels, so that one logger checks
 * them all.
 */
#ifndef KRSI_HOOKS_H
#define KRSI_HOOKS_H

#include "krsi_ld_preload.h"

#endif
