from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("assistance", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="measureevidence",
            name="content_type",
            field=models.CharField(blank=True, help_text="上传时从文件内容识别的类型；下载时按此类型发送", max_length=100,
                                   verbose_name="文件类型"),
        ),
    ]
