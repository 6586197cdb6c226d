// dlib_chip.cpp - dlib's own face chip, the reference tests/test_chip.c holds
// src/align/chip.c to: get_face_chip_details + extract_image_chip from
// Debian's libdlib-dev, on a picture and 68 landmarks given on stdin.
//
// stdin:  "W H SIZE PADDING\n", W*H*3 bytes of RGB, then 68 lines "x y"
//         (integers: dlib's full_object_detection holds integer points)
// stdout: "l t r b angle\n" (the chip_details), then SIZE*SIZE*3 bytes of RGB
#include <cstdio>
#include <vector>

#include <dlib/image_processing/full_object_detection.h>
#include <dlib/image_transforms.h>
#include <dlib/matrix.h>
#include <dlib/pixel.h>

int main()
{
    long w, h;
    unsigned long size;
    double padding;
    if (std::scanf("%ld %ld %lu %lf", &w, &h, &size, &padding) != 4 || w <= 0 || h <= 0)
        return 2;
    std::getchar();   // the newline
    dlib::matrix<dlib::rgb_pixel> img(h, w);
    for (long y = 0; y < h; y++)
        for (long x = 0; x < w; x++) {
            unsigned char p[3];
            if (std::fread(p, 1, 3, stdin) != 3)
                return 2;
            img(y, x) = dlib::rgb_pixel(p[0], p[1], p[2]);
        }
    std::vector<dlib::point> parts(68);
    for (auto &p : parts) {
        long x, y;
        if (std::scanf("%ld %ld", &x, &y) != 2)
            return 2;
        p = dlib::point(x, y);
    }
    dlib::full_object_detection det(dlib::rectangle(0, 0, w - 1, h - 1), parts);
    dlib::chip_details d = dlib::get_face_chip_details(det, size, padding);
    dlib::matrix<dlib::rgb_pixel> chip;
    dlib::extract_image_chip(img, d, chip);
    std::printf("%.9f %.9f %.9f %.9f %.12f\n", d.rect.left(), d.rect.top(), d.rect.right(), d.rect.bottom(),
                d.angle);
    for (long y = 0; y < chip.nr(); y++)
        for (long x = 0; x < chip.nc(); x++) {
            unsigned char p[3] = {chip(y, x).red, chip(y, x).green, chip(y, x).blue};
            std::fwrite(p, 1, 3, stdout);
        }
    return 0;
}
