/*
 * The realistic exec target: linked against libc like any program a shell
 * runs, so that each exec also maps the interpreter and ld.so loads and
 * relocates libc before main. It ignores its arguments and exits 0.
 */
int main(void)
{
	return 0;
}
