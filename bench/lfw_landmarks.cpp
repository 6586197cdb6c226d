// lfw_landmarks.cpp - `make eval-landmarks`: is it our landmarks that keep
// LFW below dlib's published figure? The same photos, the same chip and net,
// once from our 68 landmarks (face-api's landmark net on SSD's box) and once
// from dlib's own shape predictor (Debian's libdlib-data,
// shape_predictor_68_face_landmarks.dat) on dlib's own HOG detector's box,
// the pipeline of dlib's LFW test (SSD's box where HOG finds no face).
//
// Usage: lfw_landmarks LFW_DIR MODEL_DIR
// Reads LFW_DIR/pairsDevTrain.txt and pairsDevTest.txt (View 1, 3,200
// pairs), prints per pipeline the errors at the best threshold and the
// 10-fold accuracy (pairs dealt to folds in turn, each fold's threshold
// chosen on the other nine).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>

extern "C" {
#include "face/faces.h"
#include "media/media.h"
}

// ---------------------------------------------------------------- pairs

struct pair_ref {
    std::string a, b;
    bool same;
};

static std::string photo(const std::string &dir, const std::string &name, int k)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "_%04d.jpg", k);
    return dir + "/images/" + name + "/" + name + buf;
}

static void read_pairs(const std::string &dir, const char *file, std::vector<pair_ref> &out)
{
    std::ifstream in(dir + "/" + file);
    std::string line;
    std::getline(in, line);   // the count
    while (std::getline(in, line)) {
        std::istringstream s(line);
        std::string x;
        std::vector<std::string> t;
        while (s >> x)
            t.push_back(x);
        if (t.size() == 3)
            out.push_back({photo(dir, t[0], std::stoi(t[1])), photo(dir, t[0], std::stoi(t[2])), true});
        else if (t.size() == 4)
            out.push_back({photo(dir, t[0], std::stoi(t[1])), photo(dir, t[2], std::stoi(t[3])), false});
    }
}

// ---------------------------------------------------------------- accuracy

// Pairs right when "same" is (distance < t), at the best t for the pairs in idx.
static double best_threshold(const std::vector<double> &d, const std::vector<pair_ref> &p,
                             const std::vector<size_t> &idx, int *right)
{
    std::vector<size_t> o(idx);
    std::sort(o.begin(), o.end(), [&](size_t x, size_t y) { return d[x] < d[y]; });
    int same = 0;
    for (size_t i : o)
        same += p[i].same;
    int ok = (int)o.size() - same, best = ok;   // threshold below every distance
    double t = o.empty() ? 0 : d[o[0]] - 1;
    for (size_t k = 0; k < o.size(); k++) {
        ok += p[o[k]].same ? 1 : -1;
        if (ok > best) {
            best = ok;
            t = k + 1 < o.size() ? (d[o[k]] + d[o[k + 1]]) / 2 : d[o[k]] + 1;
        }
    }
    *right = best;
    return t;
}

static void report(const char *what, const std::vector<double> &d, const std::vector<pair_ref> &p)
{
    std::vector<size_t> all(p.size());
    for (size_t i = 0; i < p.size(); i++)
        all[i] = i;
    int right;
    best_threshold(d, p, all, &right);
    double sum = 0;
    for (int f = 0; f < 10; f++) {
        std::vector<size_t> train, test;
        for (size_t i = 0; i < p.size(); i++)
            (i % 10 == (size_t)f ? test : train).push_back(i);
        int r;
        double t = best_threshold(d, p, train, &r);
        int ok = 0;
        for (size_t i : test)
            ok += (d[i] < t) == p[i].same;
        sum += (double)ok / test.size();
    }
    std::printf("%-44s errors at the best threshold %3d of %zu, 10-fold %.2f%%\n", what,
                (int)p.size() - right, p.size(), 100 * sum / 10);
}

// ---------------------------------------------------------------- descriptors

struct described {
    bool found = false;
    float ours[RECOG_DIM], dlib[RECOG_DIM];
};

static double off_centre(const face_box &b, const image &img)
{
    double dx = b.x + b.w / 2 - img.width / 2.0, dy = b.y + b.h / 2 - img.height / 2.0;
    return std::hypot(dx, dy) / std::max(b.w, b.h);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s LFW_DIR MODEL_DIR\n", argv[0]);
        return 2;
    }
    std::string dir = argv[1];
    std::vector<pair_ref> pairs;
    read_pairs(dir, "pairsDevTrain.txt", pairs);
    read_pairs(dir, "pairsDevTest.txt", pairs);
    if (pairs.empty()) {
        std::fprintf(stderr, "%s: no View 1 pairs\n", dir.c_str());
        return 1;
    }

    dlib::shape_predictor sp;
    dlib::deserialize("/usr/share/dlib/shape_predictor_68_face_landmarks.dat") >> sp;
    dlib::frontal_face_detector hog = dlib::get_frontal_face_detector();

    face_engine e;
    celeb_error err;
    face_engine_options opt = {};
    opt.model_dir = argv[2];
    opt.detector = FACE_DETECTOR_SSD;
    opt.align = FACE_ALIGN_CHIP;
    opt.find_tight_crops = 1;
    opt.expect_face = 1;   // as celeb eval
    if (face_engine_open(&e, &opt, &err) < 0) {
        std::fprintf(stderr, "%s\n", err.message);
        return 1;
    }

    std::map<std::string, described> photos;
    for (const pair_ref &p : pairs)
        photos[p.a], photos[p.b];
    size_t done = 0, hog_found = 0;
    for (auto &[path, out] : photos) {
        if (++done % 500 == 0)
            std::fprintf(stderr, "%zu/%zu photos\n", done, photos.size());
        image img;
        face *found = nullptr;
        int n = 0;
        if (media_read_frame(path.c_str(), 0, &img, &err) < 0)
            continue;
        if (face_engine_run(&e, &img, &found, &n, &err) < 0 || n == 0) {
            image_free(&img);
            continue;
        }
        int best = 0;   // the photo's subject, as celeb eval picks it
        for (int f = 1; f < n; f++)
            if (off_centre(found[f].box, img) < off_centre(found[best].box, img))
                best = f;
        face ours = found[best];
        std::memcpy(out.ours, ours.descriptor, sizeof out.ours);

        dlib::matrix<dlib::rgb_pixel> pic(img.height, img.width);
        for (int y = 0; y < img.height; y++)
            for (int x = 0; x < img.width; x++) {
                const uint8_t *px = img.rgb + ((size_t)y * img.width + x) * 3;
                pic(y, x) = dlib::rgb_pixel(px[0], px[1], px[2]);
            }
        dlib::rectangle box((long)ours.box.x, (long)ours.box.y, (long)(ours.box.x + ours.box.w),
                            (long)(ours.box.y + ours.box.h));
        double overlap = 0;
        for (const dlib::rectangle &r : hog(pic)) {
            double o = (double)r.intersect(box).area() / (r + box).area();
            if (o > overlap && o > 0.2) {
                overlap = o;
                box = r;
            }
        }
        hog_found += overlap > 0;
        dlib::full_object_detection shape = sp(pic, box);
        face theirs = ours;
        for (int i = 0; i < LM_POINTS; i++) {
            theirs.landmarks[i][0] = shape.part(i).x();
            theirs.landmarks[i][1] = shape.part(i).y();
        }
        if (face_engine_embed(&e, &img, &theirs, 1, &err) == 0) {
            std::memcpy(out.dlib, theirs.descriptor, sizeof out.dlib);
            out.found = true;
        }
        std::free(found);
        image_free(&img);
    }
    face_engine_close(&e);

    std::vector<double> d_ours, d_dlib;
    for (const pair_ref &p : pairs) {
        const described &a = photos[p.a], &b = photos[p.b];
        double so = 0, sd = 0;
        for (int i = 0; i < RECOG_DIM; i++) {
            so += (a.ours[i] - b.ours[i]) * (a.ours[i] - b.ours[i]);
            sd += (a.dlib[i] - b.dlib[i]) * (a.dlib[i] - b.dlib[i]);
        }
        bool ok = a.found && b.found;   // a pair with no face counts wrong
        d_ours.push_back(ok ? std::sqrt(so) : (p.same ? 1e9 : -1e9));
        d_dlib.push_back(ok ? std::sqrt(sd) : (p.same ? 1e9 : -1e9));
    }
    std::printf("LFW View 1, %zu pairs, %zu photos (dlib's HOG found %zu of them), dlib's chip:\n",
                pairs.size(), photos.size(), hog_found);
    report("our landmarks (face-api's net, SSD's box)", d_ours, pairs);
    report("dlib's shape predictor (HOG's box)", d_dlib, pairs);
    return 0;
}
