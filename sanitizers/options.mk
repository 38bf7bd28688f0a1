# Sanitizer settings every job uses (included by the Makefile, exported to every command).
# Stop at the first report and print a full stack: a sanitizer finding fails the job at once.
SAN_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
export ASAN_OPTIONS ?= halt_on_error=1:abort_on_error=0:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:suppressions=$(SAN_DIR)/asan.supp
export LSAN_OPTIONS ?= suppressions=$(SAN_DIR)/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS ?= halt_on_error=1:print_stacktrace=1:suppressions=$(SAN_DIR)/ubsan.supp
export TSAN_OPTIONS ?= halt_on_error=1:second_deadlock_stack=1:history_size=4:suppressions=$(SAN_DIR)/tsan.supp
