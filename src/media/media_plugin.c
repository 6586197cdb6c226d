/* media_plugin.c - the FFmpeg backend (media_ffmpeg.c, media_avconv.c: video
 * and PNG) lives in a plugin, celeb-ffmpeg.so, loaded when the first such file
 * is opened (core/plugin.h). FFmpeg's shared libraries pull in ~130 more
 * (every codec Debian builds it with): linked into the program they cost
 * ~50 ms of every process start, more than a whole GIF's detection. JPEG,
 * WebP and GIF never load it. */
#include "media_internal.h"

#include "../core/plugin.h"

static const char *const g_names[] = {"celeb_plugin_av_open", "celeb_plugin_png_open"};
static plugin g_ffmpeg = PLUGIN_INIT("celeb-ffmpeg.so", g_names);

static int loaded(const char *what, celeb_error *err)
{
    if (plugin_get(&g_ffmpeg))
        return 1;
    celeb_fail(err, CELEB_EINTERNAL, "%s needs the FFmpeg plugin: %s", what, g_ffmpeg.error);
    return 0;
}

int media_av_open(media *m, const char *container, celeb_error *err)
{
    if (!loaded(container, err))
        return CELEB_EINTERNAL;
    return ((media_av_open_fn)g_ffmpeg.fn[0])(m, container, err);
}

int media_png_open(media *m, celeb_error *err)
{
    if (!loaded("PNG", err))
        return CELEB_EINTERNAL;
    return ((media_png_open_fn)g_ffmpeg.fn[1])(m, err);
}
