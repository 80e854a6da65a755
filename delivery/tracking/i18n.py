"""The words of the citizen's page in Arabic, Sorani Kurdish and English, and how dates read.

Words and forms follow `notifications/GLOSSARY.md` (shared with the SMS texts); the Sorani is to
be checked by a native speaker.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from notifications.language import DEFAULT_LANGUAGE, LANGUAGES
from notifications.quiet_hours import BAGHDAD

RTL = frozenset({"ar", "ckb"})
# Arabic and Kurdish text in Iraq commonly uses Arabic-Indic digits; codes stay Western.
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")

# key: (Arabic, Sorani Kurdish, English)
WORDS: Mapping[str, tuple[str, str, str]] = {
    # The official header: who runs the service (SERVICE_NAME / MINISTRY_NAME replace these).
    "service": ("البريد العراقي", "پۆستی عێراق", "Iraqi Post"),
    "ministry": ("وزارة الاتصالات", "وەزارەتی گەیاندن", "Ministry of Communications"),
    "helpline": ("خط المساعدة", "هێڵی یارمەتی", "Helpline"),
    "free": ("التوصيل مجاناً. لا يحق لأحد أن يطلب منك مالاً: لا موزع البريد ولا موظف "
             "الفرع ولا أي شخص آخر.",
             "گەیاندن بێ بەرامبەرە. هیچ کەسێک بۆی نییە داوای پارەتان لێ بکات: نە نامەبەر، نە "
             "فەرمانبەری لق، نە هیچ کەسێکی تر.",
             "Delivery is free of charge. No one may ask you for money: not the courier, not the "
             "branch clerk, no one."),
    "free_report": ("إن طلب منك أحد مالاً، يرجى إبلاغنا هنا.",
                    "ئەگەر کەسێک داوای پارەی لێتان کرد، تکایە لێرە پێمان بڵێن.",
                    "If anyone does, please tell us here."),
    "free_call": ("إن طلب منك أحد مالاً، يرجى الاتصال بخط المساعدة:",
                  "ئەگەر کەسێک داوای پارەی لێتان کرد، تکایە پەیوەندی بە هێڵی یارمەتییەوە بکەن:",
                  "If anyone does, please call the helpline:"),
    "steps": ("مراحل الوصول إليك", "قۆناغەکانی گەیشتن بە ئێوە", "On its way to you"),
    "step_accepted": ("استلمها البريد", "پۆست وەریگرت", "Accepted by the post"),
    "step_sorting": ("في مركز الفرز", "لە ناوەندی جیاکردنەوە", "At the sorting centre"),
    "step_branch": ("في فرع البريد", "لە لقی پۆست", "At the post office branch"),
    "step_courier": ("مع موزع البريد", "لای نامەبەر", "With the courier"),
    "step_ready": ("جاهزة في الفرع", "ئامادەیە لە لق", "Ready at the branch"),
    "step_hands": ("بين يديك", "گەیشتە دەستتان", "In your hands"),
    "now_title": ("ما يمكنك فعله الآن", "ئێستا دەتوانن چی بکەن", "What you can do now"),
    "change_mode": ("تغيير طريقة الاستلام", "گۆڕینی شێوازی وەرگرتن", "Change how you get it"),
    "more": ("المزيد من التفاصيل", "وردەکاریی زیاتر", "More details"),
    "title": ("تتبع وثيقتك", "بەدواداچوونی بەڵگەنامەکەتان", "Track your document"),
    "brand": ("تسهيل · البريد العراقي", "تەسهیل · پۆستی عێراق", "Tasheel · Iraqi Post"),
    "tracking_number": ("رقم التتبع", "ژمارەی بەدواداچوون", "Tracking number"),
    "document": ("الوثيقة", "بەڵگەنامە", "Document"),
    "status": ("الحالة", "دۆخ", "Status"),
    "holder": ("صاحب الوثيقة", "خاوەنی بەڵگەنامە", "Holder"),
    "personal_data_removed": ("حُذفت بياناتك الشخصية بعد انتهاء مدة حفظها، في",
                              "زانیارییە کەسییەکانتان دوای ماوەی هەڵگرتن سڕانەوە، لە",
                              "Your personal data was removed after its keeping period, on"),
    "phone": ("الهاتف", "تەلەفۆن", "Phone"),
    "mode": ("طريقة الاستلام", "شێوازی وەرگرتن", "How you get it"),
    "mode_home": ("التوصيل إلى المنزل", "گەیاندن بۆ ماڵەوە", "Home delivery"),
    "mode_pickup": ("الاستلام من الفرع", "وەرگرتن لە لق", "Pickup at a branch"),
    "mode_none": ("لم تختر بعد", "هێشتا هەڵتان نەبژاردووە", "Not chosen yet"),
    "branch": ("فرع البريد", "لقی پۆست", "Post office branch"),
    "hours": ("أوقات الدوام", "کاتی کارکردن", "Opening hours"),
    "map": ("الفتح في الخريطة", "کردنەوە لە نەخشە", "Open in maps"),
    "deadline": ("آخر موعد للاستلام", "دوا وادەی وەرگرتن", "Collect by"),
    "bring": ("ما يجب إحضاره", "چی لەگەڵ خۆتان بهێنن", "What to bring"),
    "bring_id": ("بطاقتك الوطنية الموحدة (أو جواز سفرك)",
                 "کارتی نیشتمانیی یەکگرتووتان (یان پاسپۆرتەکەتان)",
                 "Your unified national ID card (or passport)"),
    "bring_code": ("رمز التحقق الذي يصلك برسالة نصية على هاتفك",
                   "کۆدی پشتڕاستکردنەوە کە بە نامە بۆ تەلەفۆنەکەتان دێت",
                   "The one-time code we send by SMS to your phone"),
    "bring_proxy": ("يمكن لشخص آخر استلامها ببطاقته الوطنية ورمز التحقق",
                    "کەسێکی تر دەتوانێت بە کارتی نیشتمانیی خۆی و کۆدەکە وەریبگرێت",
                    "Someone else may collect it with their own ID card and the code"),
    "bring_self": ("لا تُسلَّم إلا لصاحب الوثيقة شخصياً", "تەنها بە خاوەنەکەی دەدرێت",
                   "Handed only to the holder in person"),
    "timeline": ("مسار الوثيقة", "ڕێڕەوی بەڵگەنامە", "History"),
    "choose": ("كيف تريد استلامها؟", "چۆن دەتانەوێت وەریبگرن؟", "How do you want to get it?"),
    "choose_home": ("أريد التوصيل إلى المنزل", "دەمەوێت بگەیەندرێتە ماڵەوە",
                    "Deliver it to my home"),
    "choose_pickup": ("أريد استلامها من هذا الفرع", "دەمەوێت لەم لقە وەریبگرم",
                      "I will collect it at this branch"),
    "pickup_branch": ("يرجى اختيار الفرع", "تکایە لقەکە هەڵبژێرن", "Choose the branch"),
    "km": ("كم", "کم", "km"),
    "location": ("موقع منزلك", "شوێنی ماڵەکەتان", "Where you live"),
    "use_location": ("إرسال موقعي الحالي", "ناردنی شوێنی ئێستام", "Use my current location"),
    "locating": ("جارٍ تحديد الموقع…", "شوێن دیاری دەکرێت…", "Finding your location…"),
    "no_geo": ("تعذّر تحديد الموقع، يرجى ملء الحقول أدناه",
               "شوێن نەدۆزرایەوە، تکایە خانەکانی خوارەوە پڕبکەنەوە",
               "Location unavailable; fill in the fields below"),
    "district": ("القضاء / المنطقة", "قەزا / ناوچە", "District"),
    "mahalla": ("المحلة", "گەڕەک", "Mahalla"),
    "zuqaq": ("الزقاق", "کۆڵان", "Zuqaq (alley)"),
    "house": ("رقم الدار", "ژمارەی خانوو", "House number"),
    "landmark": ("أقرب نقطة دالة", "نزیکترین نیشانە", "Nearby landmark"),
    "save_address": ("حفظ العنوان", "پاشەکەوتکردنی ناونیشان", "Save the address"),
    "reschedule": ("موعد التوصيل", "کاتی گەیاندن", "Delivery day"),
    "day": ("اليوم", "ڕۆژ", "Day"),
    "window": ("الفترة", "ماوە", "Time of day"),
    "morning": ("صباحاً", "بەیانی", "Morning"),
    "afternoon": ("بعد الظهر", "دوانیوەڕۆ", "Afternoon"),
    "save_day": ("حفظ الموعد", "پاشەکەوتکردنی کات", "Save the day"),
    "scheduled": ("الموعد المختار", "کاتی هەڵبژێردراو", "Chosen day"),
    "report": ("هل طلب منك أحد مالاً؟", "کەس داوای پارەی لێتان کرد؟",
               "Did anyone ask you for money?"),
    "yes": ("نعم", "بەڵێ", "Yes"),
    "no": ("لا", "نەخێر", "No"),
    "complaint": ("ملاحظات أو شكوى (اختياري)", "تێبینی یان سکاڵا (ئارەزوومەندانە)",
                  "Anything else to tell us (optional)"),
    "send": ("إرسال", "ناردن", "Send"),
    "reported": ("شكراً، وصلنا جوابك وسيطّلع عليه مفتش مستقل عن فرع البريد.",
                 "سوپاس، وەڵامەکەتان گەیشت و پشکنەرێکی سەربەخۆ لە لقی پۆست سەیری دەکات.",
                 "Thank you: an inspector independent of the branch will read your answer."),
    "language": ("اللغة", "زمان", "Language"),
    "address_saved": ("عنوان مسجّل", "ناونیشانی تۆمارکراو", "Address on record"),
    "location_shared": ("تم استلام موقعك", "شوێنەکەتان وەرگیرا", "Your location was received"),
    "nearest": ("أقرب الفروع", "نزیکترین لقەکان", "Nearest branches"),
    "not_found_title": ("الصفحة غير موجودة", "پەڕەکە نییە", "Page not found"),
    "not_found": ("هذا الرابط غير صحيح أو انتهت صلاحيته. يرجى التأكد من الرابط في الرسالة النصية.",
                  "ئەم بەستەرە هەڵەیە یان بەسەرچووە. تکایە بەستەرەکەی نامەکە بپشکنن.",
                  "This link is wrong or has expired. Check the link in your SMS."),
    "too_many": ("طلبات كثيرة، يرجى المحاولة بعد قليل.", "داواکاری زۆرە، تکایە دواتر هەوڵ بدەنەوە.",
                 "Too many requests; please try again shortly."),
    "expired_form": ("انتهت صلاحية النموذج، يرجى إعادة تحميل الصفحة والمحاولة مجدداً.",
                     "فۆرمەکە بەسەرچوو، تکایە پەڕەکە نوێ بکەنەوە و دووبارە هەوڵ بدەنەوە.",
                     "The form has expired: reload the page and try again."),
    "m_saved": ("تم حفظ اختيارك.", "هەڵبژاردنەکەتان پاشەکەوت کرا.", "Your choice was saved."),
    "m_invalid": ("لم نتمكن من قراءة ما أدخلته، يرجى التأكد والمحاولة مجدداً.",
                  "نەمانتوانی ئەوەی نووسیتان بخوێنینەوە، تکایە بیپشکننەوە.",
                  "We could not read that; please check and try again."),
    "m_too_late": ("لم يعد هذا الاختيار ممكناً في هذه المرحلة.",
                   "ئەم هەڵبژاردنە لەم قۆناغەدا ئیتر ناکرێت.",
                   "That choice is no longer possible at this stage."),
    "m_outside": ("الموقع خارج العراق، يرجى التأكد منه.", "شوێنەکە دەرەوەی عێراقە، تکایە بیپشکننەوە.",
                  "That location is outside Iraq."),
}

# What happens next, and what the citizen can do now, for each state.
NEXT: Mapping[str, tuple[str, str, str]] = {
    "registered": ("سلّمت الجهة المُصدِرة وثيقتك إلى البريد، وستصل قريباً إلى مركز الفرز. يمكنك الآن "
                   "اختيار طريقة الاستلام.",
                   "دەزگای دەرکەر بەڵگەنامەکەتانی داوە بە پۆست و بەم زووانە دەگاتە ناوەندی "
                   "جیاکردنەوە. ئێستا دەتوانن شێوازی وەرگرتن هەڵبژێرن.",
                   "The issuing office has handed your document to the post; it will soon reach "
                   "the sorting centre. You can choose now how to get it."),
    "received": ("ستُرسل من مركز الفرز إلى فرع البريد. ما زال بإمكانك اختيار الفرع أو التوصيل "
                 "إلى المنزل.",
                 "لە ناوەندی جیاکردنەوە دەنێردرێت بۆ لقی پۆست. هێشتا دەتوانن لق یان گەیاندن بۆ "
                 "ماڵەوە هەڵبژێرن.",
                 "It will be sent from the sorting centre to the branch. You can still choose the "
                 "branch or home delivery."),
    "in_transit": ("في الطريق إلى الفرع. يمكنك اختيار يوم التوصيل.",
                   "لە ڕێگایە بۆ لق. دەتوانن ڕۆژی گەیاندن هەڵبژێرن.",
                   "On its way to the branch. You can choose the delivery day."),
    "at_branch": ("سيوصلها موزع البريد في اليوم الذي تختاره، أو يمكنك استلامها من الفرع.",
                  "نامەبەر لەو ڕۆژەی هەڵیدەبژێرن دەیگەیەنێت، یان دەتوانن لە لق وەریبگرن.",
                  "The courier will bring it on the day you choose, or you can collect it at the "
                  "branch."),
    "out_for_delivery": ("سيصلك موزع البريد اليوم. يرجى إبقاء هاتفك مفتوحاً وتجهيز بطاقتك ورمز "
                         "التحقق.",
                         "نامەبەر ئەمڕۆ دێتە لاتان. تکایە تەلەفۆنەکەتان هەڵکراو بێت و کارتەکەتان "
                         "و کۆدەکە ئامادە بکەن.",
                         "The courier comes today. Please keep your phone on and have your ID "
                         "and the code ready."),
    "delivery_failed": ("لم يتم التوصيل. يرجى اختيار يوم آخر أو الاستلام من الفرع.",
                        "گەیاندن نەکرا. تکایە ڕۆژێکی تر یان وەرگرتن لە لق هەڵبژێرن.",
                        "It could not be delivered. Please choose another day or pickup at the "
                        "branch."),
    "ready_for_pickup": ("يرجى استلامها من الفرع قبل آخر موعد، مع بطاقتك ورمز التحقق.",
                         "تکایە پێش دوا وادە لە لق وەریبگرن، لەگەڵ کارتەکەتان و کۆدەکە.",
                         "Please collect it at the branch before the deadline, with your ID and "
                         "the code."),
    "delivered": ("وصلتك الوثيقة. يرجى إخبارنا إن طلب منك أحد مالاً.",
                  "بەڵگەنامەکە گەیشتە دەستتان. تکایە پێمان بڵێن ئەگەر کەسێک داوای پارەی لێتان کرد.",
                  "You have your document. Please tell us if anyone asked you for money."),
    "returning": ("يرجى مراجعة الجهة المُصدِرة.", "تکایە سەردانی دەزگای دەرکەر بکەن.",
                  "Please contact the issuing office."),
    "lost": ("نبحث في الأمر وسنتواصل معك.", "لێی دەکۆڵینەوە و پەیوەندیتان پێوە دەکەین.",
             "We are looking into it and will contact you."),
}
NEXT = {**NEXT, "collected": NEXT["delivered"], "returned_to_agency": NEXT["returning"],
        "cancelled": NEXT["returning"], "damaged": NEXT["lost"]}

STATES: Mapping[str, tuple[str, str, str]] = {
    "registered": ("سُجّلت لدى البريد وستصل قريباً إلى مركز الفرز",
                   "لە پۆست تۆمارکرا و بەم زووانە دەگاتە ناوەندی جیاکردنەوە",
                   "Registered with the post; on its way to the sorting centre"),
    "received": ("في مركز الفرز", "لە ناوەندی جیاکردنەوەیە", "At the sorting centre"),
    "in_transit": ("في الطريق إلى فرع البريد", "لە ڕێگایە بۆ لقی پۆست",
                   "On its way to the post office branch"),
    "at_branch": ("وصلت إلى فرع البريد", "گەیشتە لقی پۆست", "At the post office branch"),
    "out_for_delivery": ("مع موزع البريد في الطريق إليك", "لای نامەبەرە و لە ڕێگایە بۆ لاتان",
                         "With the courier, on its way to you"),
    "delivery_failed": ("تعذّر التوصيل، ستعود إلى الفرع", "گەیاندن سەرنەکەوت، دەگەڕێتەوە لق",
                        "Delivery did not succeed; going back to the branch"),
    "ready_for_pickup": ("جاهزة للاستلام من الفرع", "ئامادەیە بۆ وەرگرتن لە لق",
                         "Ready for you to collect at the branch"),
    "delivered": ("سُلّمت إليك", "ڕادەستتان کرا", "Delivered to you"),
    "collected": ("استلمتها من الفرع", "لە لق وەرتانگرت", "Collected at the branch"),
    "returning": ("تعود إلى الجهة المُصدِرة", "دەگەڕێتەوە بۆ دەزگای دەرکەر",
                  "Going back to the issuing office"),
    "returned_to_agency": ("أُعيدت إلى الجهة المُصدِرة", "گەڕێندرایەوە بۆ دەزگای دەرکەر",
                           "Returned to the issuing office"),
    "cancelled": ("ألغتها الجهة المُصدِرة", "دەزگای دەرکەر هەڵیوەشاندەوە",
                  "Cancelled by the issuing office"),
    "lost": ("قيد التحقيق، سنتواصل معك", "لە لێکۆڵینەوەدایە، پەیوەندیتان پێوە دەکەین",
             "Under investigation; we will contact you"),
    "damaged": ("قيد التحقيق، سنتواصل معك", "لە لێکۆڵینەوەدایە، پەیوەندیتان پێوە دەکەین",
                "Under investigation; we will contact you"),
}

# Custody events a citizen is shown (counter-scans and bagging say nothing to them).
EVENTS: Mapping[str, tuple[str, str, str]] = {
    "registered": ("سُجّلت لدى البريد", "لە پۆست تۆمارکرا", "Registered"),
    "received": ("وصلت إلى مركز الفرز", "گەیشتە ناوەندی جیاکردنەوە", "Reached the sorting centre"),
    "dispatched": ("أُرسلت إلى الفرع", "نێردرا بۆ لق", "Sent to the branch"),
    "arrived": ("وصلت إلى الفرع", "گەیشتە لق", "Arrived at the branch"),
    "handed_to_courier": ("سُلّمت لموزع البريد", "درا بە نامەبەر", "Handed to the courier"),
    "delivered": ("سُلّمت", "ڕادەست کرا", "Delivered"),
    "delivery_failed": ("تعذّر التوصيل", "گەیاندن سەرنەکەوت", "Delivery attempt failed"),
    "sent_back_at_door": ("لم تُسلَّم: تُعاد إلى الجهة المُصدِرة",
                          "ڕادەست نەکرا: دەگەڕێندرێتەوە بۆ دەزگای دەرکەر",
                          "Not handed over: going back to the issuing office"),
    "returned_to_branch": ("أُعيدت إلى الفرع", "گەڕێندرایەوە لق", "Back at the branch"),
    "shelved": ("جاهزة للاستلام", "ئامادەیە بۆ وەرگرتن", "Ready for pickup"),
    "attempts_exhausted": ("جاهزة للاستلام", "ئامادەیە بۆ وەرگرتن", "Ready for pickup"),
    "collected": ("استُلمت من الفرع", "لە لق وەرگیرا", "Collected"),
    "hold_expired": ("انتهت مدة الحفظ", "ماوەی هەڵگرتن تەواو بوو", "Holding period ended"),
    "sent_back": ("أُعيدت نحو مركز الفرز", "نێردرایەوە بۆ ناوەندی جیاکردنەوە",
                  "Sent back towards the sorting centre"),
    "returned_to_agency": ("أُعيدت إلى الجهة المُصدِرة", "گەڕێندرایەوە بۆ دەزگای دەرکەر",
                           "Returned to the issuing office"),
    "cancelled": ("أُلغيت", "هەڵوەشێندرایەوە", "Cancelled"),
    "lost": ("قيد التحقيق", "لە لێکۆڵینەوەدایە", "Under investigation"),
    "damaged": ("قيد التحقيق", "لە لێکۆڵینەوەدایە", "Under investigation"),
    "found": ("عُثر عليها", "دۆزرایەوە", "Found"),
    "chose_home": ("اخترت التوصيل إلى المنزل", "گەیاندن بۆ ماڵەوەتان هەڵبژارد",
                   "You chose home delivery"),
    "chose_pickup": ("اخترت الاستلام من الفرع", "وەرگرتن لە لقتان هەڵبژارد",
                     "You chose pickup at a branch"),
    "shared_location": ("أرسلت عنوانك", "ناونیشانەکەتان نارد", "You shared your address"),
    "rescheduled": ("اخترت موعد التوصيل", "کاتی گەیاندنتان هەڵبژارد", "You chose a delivery day"),
    "reported": ("أرسلت جوابك", "وەڵامەکەتان نارد", "You sent your answer"),
}

DAYS: Mapping[str, tuple[str, str, str]] = {
    "sunday": ("الأحد", "یەکشەممە", "Sunday"),
    "monday": ("الاثنين", "دووشەممە", "Monday"),
    "tuesday": ("الثلاثاء", "سێشەممە", "Tuesday"),
    "wednesday": ("الأربعاء", "چوارشەممە", "Wednesday"),
    "thursday": ("الخميس", "پێنجشەممە", "Thursday"),
    "friday": ("الجمعة", "هەینی", "Friday"),
    "saturday": ("السبت", "شەممە", "Saturday"),
}
_WEEKDAY_KEYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SHORT_DAYS = {k[:3]: k for k in _WEEKDAY_KEYS}

# Iraq names the months in Arabic by their Syriac names; Sorani follows the same calendar.
MONTHS: Mapping[str, tuple[str, ...]] = {
    "ar": ("كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول",
           "تشرين الأول", "تشرين الثاني", "كانون الأول"),
    "ckb": ("کانوونی دووەم", "شوبات", "ئازار", "نیسان", "ئایار", "حوزەیران", "تەممووز", "ئاب",
            "ئەیلوول", "تشرینی یەکەم", "تشرینی دووەم", "کانوونی یەکەم"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}


def language_of(*candidates: str | None) -> str:
    """The first supported language among the candidates, else Arabic."""
    return next((c for c in candidates if c in LANGUAGES), DEFAULT_LANGUAGE)


def direction(language: str) -> str:
    """'rtl' for Arabic and Kurdish, 'ltr' for English."""
    return "rtl" if language in RTL else "ltr"


def _pick(entry: tuple[str, ...], language: str) -> str:
    return entry[LANGUAGES.index(language)]


# The page's words by language, looked up once per word rather than picked from each entry.
WORDS_IN: Mapping[str, Mapping[str, str]] = {
    language: {key: entry[column] for key, entry in WORDS.items()}
    for column, language in enumerate(LANGUAGES)}


def word(language: str, key: str) -> str:
    """One word or sentence of the page."""
    return WORDS_IN[language][key]


def state_phrase(language: str, state: str) -> str:
    """The item's state in plain words."""
    return _pick(STATES.get(state, STATES["registered"]), language)


def event_phrase(language: str, event_code: str) -> str | None:
    """A custody event in plain words, or None when citizens are not shown it."""
    entry = EVENTS.get(event_code)
    return _pick(entry, language) if entry else None


def next_phrase(language: str, state: str) -> str | None:
    """What happens next for an item in `state`, and what the citizen can do now."""
    entry = NEXT.get(state)
    return _pick(entry, language) if entry else None


def time_range(language: str, start: str, end: str) -> str:
    """'بين ٠٨:٠٠ و١٤:٠٠': a range of hours in words, never a dash (the glossary's form)."""
    start, end = numerals(language, start), numerals(language, end)
    if language == "ar":
        return f"بين {start} و{end}"
    if language == "ckb":
        return f"لە نێوان {start} و {end}"
    return f"between {start} and {end}"


def window_phrase(language: str, window: str, start: str, end: str) -> str:
    """'صباحاً، بين ٠٨:٠٠ و١٢:٠٠': a delivery window by name and hours."""
    comma = "،" if language in RTL else ","
    return f"{word(language, window)}{comma} {time_range(language, start, end)}"


def numerals(language: str, text: str) -> str:
    """Arabic-Indic digits for Arabic and Kurdish text, Western for English."""
    return text.translate(ARABIC_INDIC) if language in RTL else text


def day_name(language: str, day: str) -> str:
    """A weekday name ('sunday' or 'sun') in the language."""
    key = _SHORT_DAYS.get(day.lower()[:3], day.lower())
    return _pick(DAYS[key], language) if key in DAYS else day


def format_date(language: str, day: date) -> str:
    """'الخميس ٥ آذار ٢٠٢٦' / 'Thursday 5 March 2026'."""
    weekday = day_name(language, _WEEKDAY_KEYS[day.weekday()])
    text = f"{weekday} {day.day} {MONTHS[language][day.month - 1]} {day.year}"
    return numerals(language, text)


def format_moment(language: str, moment: datetime) -> str:
    """A timestamp as a date and a 24-hour time in Asia/Baghdad."""
    local = moment.astimezone(BAGHDAD)
    return f"{format_date(language, local.date())}، {numerals(language, local.strftime('%H:%M'))}" \
        if language in RTL else f"{format_date(language, local.date())}, {local:%H:%M}"
