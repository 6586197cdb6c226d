/* commands.h - the CLI's subcommands; each takes (argc, argv) with argv[0]
 * the command name and returns the process exit status. */
#ifndef CELEB_CLI_COMMANDS_H
#define CELEB_CLI_COMMANDS_H

int cmd_faces(int argc, char **argv);
int cmd_enroll(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_gallery(int argc, char **argv);
/* `celeb gallery build-default` (cmd_build.c), with the gallery's --gallery value or NULL */
int cmd_gallery_build_default(const char *gallery_arg, int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_enqueue(int argc, char **argv);
int cmd_worker(int argc, char **argv);

#endif
